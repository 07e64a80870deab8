"""Offline models: training sets from the lake, recommenders behind one interface,
evaluation on published protocols, health risk models, and MLflow registration.

Never imports `serving` or `agents`; nothing here connects to anything at import time.
"""
