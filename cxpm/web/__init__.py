"""The web app and REST API (FastAPI): `create_app(workspace_path)` in cxpm.web.app."""
