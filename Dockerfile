# The hotline service. Debian 12 base, the same packages `make run` installs.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng sox \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hotline ./hotline
COPY ivr ./ivr
COPY callflow ./callflow
COPY asr ./asr
COPY ticketing ./ticketing
COPY sms_feedback ./sms_feedback
COPY recordings ./recordings
RUN pip install --no-cache-dir .
ENV HOTLINE_HTTP_HOST=0.0.0.0 HOTLINE_DATA_DIR=/var/lib/hotline
VOLUME ["/var/lib/hotline"]
EXPOSE 8080
CMD ["sh", "-c", "hotline db upgrade && hotline prompts build && hotline serve"]
