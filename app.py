"""The WSGI application: ``flask --app app run`` / ``flask --app app <command>``."""
import gc

from receptionist.bootstrap import create_app

app = create_app()

# Everything built so far (modules, the app, SQLAlchemy's metadata, the compiled scripts' code)
# lives as long as the process: keep it out of the collector's full passes, which otherwise
# walk it again and again (about 0.8 ms of CPU per call in a gunicorn worker, timed with
# gc.callbacks over bench/gunicorn_cpu.py; 0.1 ms once frozen).
gc.collect()
gc.freeze()
