"""The WSGI application: ``flask --app app run`` / ``flask --app app <command>``."""
from receptionist.web.app import create_app

app = create_app()
