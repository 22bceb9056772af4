"""imrdesk: turn IMR Final Determination letters into a clean, reviewed dataset."""

__version__ = "0.1.0"
APP_NAME = "imrdesk"
