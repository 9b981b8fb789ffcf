"""The WSGI application: ``flask --app app run`` / ``flask --app app <command>``."""
from receptionist.bootstrap import create_app

app = create_app()
