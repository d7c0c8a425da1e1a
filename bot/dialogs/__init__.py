"""aiogram-dialog dialogues, one module each; states in `states.py`, shared widgets in `widgets.py`."""
