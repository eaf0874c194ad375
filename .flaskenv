FLASK_APP=wsgi
# Only the flask command reads this file, and never over a variable already set: in a checkout
# the CLI gets the development defaults, while gunicorn/celery (and compose, which sets
# EDITORIAL_ENV=production) still refuse to start without SECRET_KEY.
EDITORIAL_ENV=development
