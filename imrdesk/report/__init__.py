"""Charts and the HTML report over the insights (``imrdesk.store.insights``). No Qt here: the charts are
matplotlib Figures that the window shows on a Qt canvas and the report renders headless."""
