"""Gunicorn settings, read from the working directory by every `gunicorn` the project starts (Dockerfile,
docker-compose.yml, make run). The access log names the path and never the query string: a person search
(`/people/?q=`), the form's suggestions (`/people/suggest/?full_name=`) and the list's person filter carry
names and phones, which must not reach a log file (docs/people.md, docs/operations.md)."""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
