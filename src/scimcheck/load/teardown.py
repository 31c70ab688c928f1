"""What ``scimcheck load`` created, deleted when the run ends (also after Ctrl-C or SIGTERM):
first by the ids its tagged creates answered, then a sweep for its run tag
(:mod:`scimcheck.scim.cleanup`), only ever what the run owns (:mod:`scimcheck.scim.ownership`)."""

from __future__ import annotations

from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.load.launch import Options
from scimcheck.load.plan import Created, LoadSettings
from scimcheck.scim import cleanup, ownership


def clean_up(url: str, token: str | None, options: Options, settings: LoadSettings,
             created: list[Created]) -> tuple[list[str], int]:
    """Delete what this process created (by id), then sweep the run tag; the problems, and
    how many tagged resources are still there afterwards."""
    problems = delete_created(url, token, options, settings, created)
    config = TransportConfig(url, token, options.timeout_s, verify=options.verify,
                             proxy=options.proxy, headers=options.headers)
    with Transport(config) as transport:
        found = cleanup.find(transport, settings.run_id)
        problems += cleanup.delete(transport, found.leftovers)
        problems += found.notes
        problems += [f"{kept.reason}: {', '.join(x.path for x in kept.leftovers)}"
                     for kept in found.kept]
        again = cleanup.find(transport, settings.run_id)
        left = len(again.leftovers) + sum(len(k.leftovers) for k in again.kept if k.unread)
    if created or found.leftovers:
        print(f"scimcheck: cleanup: deleted {len(created)} created resource(s) by id and "
              f"{len(found.leftovers)} more found by the run tag; {left} left", flush=True)
    return problems, left


def delete_created(url: str, token: str | None, options: Options, settings: LoadSettings,
                   created: list[Created]) -> list[str]:
    """Delete what this process's creates made, by id (each claimed as the run's first); the
    problems."""
    config = TransportConfig(url, token, options.timeout_s, verify=options.verify,
                             proxy=options.proxy, headers=options.headers)
    with ownership.guarded(config, settings.tag) as transport:
        leftovers = []
        for item in created:
            if transport.claim(item.path, item.name):
                leftovers.append(cleanup.Leftover(item.path, item.name, settings.run_id))
        return cleanup.delete(transport, leftovers)
