"""Use cases, Qt-free: review operations that return changes (with their inverse, for undo), the import
pipeline (isolated worker processes), export, insights and the report. The command line and the window
both stand on this layer; it stands on the store, the extractor and the field registry."""
