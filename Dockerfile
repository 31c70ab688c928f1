# scimcheck in a container: `docker run --rm -e SCIM_TOKEN -v "$PWD/reports:/work/reports" IMAGE
# run https://staging.example.com/scim/v2` (docs/ci.md). Without arguments it judges the embedded
# reference server, the quick start's first command. Reports go to /work/reports.
FROM python:3.12-slim

WORKDIR /opt/scimcheck
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
COPY suites ./suites
COPY schemas ./schemas
COPY fixtures ./fixtures
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 scimcheck \
    && mkdir -p /work/reports && chown -R 10001 /work

USER 10001
WORKDIR /work
ENTRYPOINT ["scimcheck"]
CMD ["run"]
