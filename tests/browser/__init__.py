"""Browser tests: JupyterLab in Chromium, driven by Playwright (see conftest.py)."""
