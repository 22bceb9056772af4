"""What a reviewer's states and specialties can be: the US states and territories, and the names of medical
specialties (the American boards' specialties and subspecialties, and the other names IMR reviewers go by).

A licensure state outside the first list, or a specialty that joins two names with "and", "&" or "/" while it
is none of the second, is read but doubted: "Preventive Medicine and Occupational Medicine" is two specialties
printed as one, "Physical Medicine & Rehabilitation" is one.
"""

from __future__ import annotations

import re


def _names(text: str) -> frozenset[str]:
    """Names listed one after another with commas between them, in lower case."""
    return frozenset(" ".join(name.split()).lower() for name in text.split(",") if name.strip())


US_STATES = _names(
    """
Alabama, Alaska, Arizona, Arkansas, California, Colorado, Connecticut, Delaware, District of Columbia,
Florida, Georgia, Hawaii, Idaho, Illinois, Indiana, Iowa, Kansas, Kentucky, Louisiana, Maine, Maryland,
Massachusetts, Michigan, Minnesota, Mississippi, Missouri, Montana, Nebraska, Nevada, New Hampshire, New
Jersey, New Mexico, New York, North Carolina, North Dakota, Ohio, Oklahoma, Oregon, Pennsylvania, Rhode
Island, South Carolina, South Dakota, Tennessee, Texas, Utah, Vermont, Virginia, Washington, West Virginia,
Wisconsin, Wyoming, Puerto Rico, Guam, U.S. Virgin Islands, Virgin Islands, American Samoa, Northern Mariana
Islands, Washington DC, Washington D.C.
"""
)
US_STATE_CODES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
    "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)

# the names with "and", "&" or "/" in them first
SPECIALTIES = _names(
    """
Physical Medicine and Rehabilitation, Hospice and Palliative Medicine, Public Health and General Preventive
Medicine, Occupational and Environmental Medicine, Obstetrics and Gynecology, Allergy and Immunology, Colon
and Rectal Surgery, Plastic and Reconstructive Surgery, Oral and Maxillofacial Surgery, Foot and Ankle
Surgery, Child and Adolescent Psychiatry, Psychiatry and Neurology, Undersea and Hyperbaric Medicine,
Pulmonary Disease and Critical Care Medicine, Pulmonary and Critical Care Medicine, Maternal and Fetal
Medicine, Head and Neck Surgery, Otolaryngology - Head and Neck Surgery, Otolaryngology-Head and Neck Surgery,
Hematology and Oncology, Hematology and Medical Oncology, Vascular and Interventional Radiology, Female Pelvic
Medicine and Reconstructive Surgery, Neuromusculoskeletal Medicine and Osteopathic Manipulative Medicine,
Nutrition and Dietetics, Neurodevelopmental Disabilities, Brain Injury Medicine, Spinal Cord Injury Medicine,
Shoulder and Elbow Surgery, Hand and Upper Extremity, Diabetes and Metabolism, Obstetrics/Gynecology, OB/GYN,
Preventive Medicine, Occupational Medicine, Family Practice, Family Medicine, General Practice, Internal
Medicine, Pain Management, Pain Medicine, Interventional Pain Management, Interventional Pain Medicine,
Orthopedic Surgery, Orthopaedic Surgery, Sports Medicine, Anesthesiology, Emergency Medicine, Medical
Toxicology, Neuromuscular Medicine, Pediatric Rehabilitation Medicine, Addiction Medicine, Addiction
Psychiatry, Aerospace Medicine, Neurology, Neurological Surgery, Neurosurgery, Psychiatry, Psychology,
Clinical Psychology, Neuropsychology, Forensic Psychiatry, Rheumatology, Radiology, Diagnostic Radiology,
Neuroradiology, Interventional Radiology, Nuclear Medicine, Podiatry, Podiatric Surgery, Podiatric Medicine,
Chiropractic, Chiropractic Medicine, Chiropractor, Acupuncture, Physical Therapy, Occupational Therapy,
Dentistry, Ophthalmology, Optometry, Dermatology, Urology, Cardiology, Cardiovascular Disease,
Gastroenterology, Nephrology, Infectious Disease, Geriatric Medicine, Endocrinology, Hematology, Oncology,
Medical Oncology, Pulmonary Disease, Critical Care Medicine, General Surgery, Surgery, Vascular Surgery,
Thoracic Surgery, Plastic Surgery, Hand Surgery, Spine Surgery, Sleep Medicine, Otolaryngology, Pediatrics,
Clinical Neurophysiology, Electrodiagnostic Medicine, Pharmacology, Clinical Pharmacology, Pharmacy, Nursing,
Pathology, Genetics, Integrative Medicine, Osteopathic Manipulative Medicine, Orthopedic Sports Medicine,
Orthopaedic Sports Medicine, Physiatry, Rehabilitation Medicine, Independent Medical Examiner
"""
)

_JOINER = re.compile(r"(\s+(?:and|&)\s+|\s*/\s*)", re.I)


def _key(name: str) -> str:
    key = " ".join(name.replace("&", " and ").split()).lower()
    return key.replace("orthopaedic", "orthopedic")


_KNOWN = frozenset(map(_key, SPECIALTIES))


def known_state(name: str) -> bool:
    return " ".join(name.split()).lower() in US_STATES or name.strip() in US_STATE_CODES


def joined_specialties(name: str) -> list[str] | None:
    """The specialties a name joins with "and", "&" or "/" when it is known ones printed as one
    ("Physical Medicine & Rehabilitation and Pediatric Rehabilitation Medicine": two); None when it is one
    name (known or not)."""
    if not doubtful_specialty(name):
        return None
    return _known_groups(_JOINER.split(name))  # name, joiner, name, joiner, ..., name


def _known_groups(pieces: list[str]) -> list[str] | None:
    """The names in ``pieces`` (joiners between them) cut into two or more runs, each a known specialty."""
    for cut in range(1, len(pieces), 2):  # at a joiner
        head, rest = "".join(pieces[:cut]).strip(" ."), "".join(pieces[cut + 1 :]).strip(" .")
        if _key(head) not in _KNOWN:
            continue
        if _key(rest) in _KNOWN:
            return [head, rest]
        more = _known_groups(pieces[cut + 1 :])
        if more:
            return [head, *more]
    return None


def doubtful_specialty(name: str) -> bool:
    """A name that joins words with "and", "&" or "/" and is no specialty known as one: maybe two."""
    return bool(_JOINER.search(name)) and _key(name) not in _KNOWN
