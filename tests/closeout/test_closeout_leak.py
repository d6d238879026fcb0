"""The close-out of a partnership whose copy leaked: the report names the trace that accused the
partner, the incident still open, and the surviving clauses of the reviewed document."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from closeout.conftest import terminate
from enforce.conftest import make_leak
from hallmark import Vault


def test_the_report_names_the_leak_and_the_open_incident(vault: Vault, cli: Callable[..., Any],
                                                         tmp_path: Path) -> None:
    leak = make_leak(vault, cli)
    opened = cli("incident", "open", "--from", leak.trace["trace"], "--json")
    assert opened.exit_code == 0, opened.stderr
    incident = json.loads(opened.stdout)["incident"]
    terminate(cli, "dua-partners")
    done = cli("agreement", "close-out", "dua-partners", "-o", str(tmp_path / "r.html"),
               "--json")
    assert done.exit_code == 0, done.stderr
    r = json.loads(done.stdout)["report"]
    [trace] = r["traces"]
    assert trace["trace"] == leak.trace["trace"]
    assert any(leak.share in accused and "beta-labs" in accused for accused in trace["accused"])
    assert [i["incident"] for i in r["incidents"]] == [incident]
    kinds = {(o["kind"], o["subject"]) for o in r["obligations"]}
    assert ("incident", incident) in kinds
    assert ("clause", "return-or-destruction") in kinds
    assert any("trace(s) found the partner's copies" in x for x in r["lessons"])
    assert any("incident(s) are still open" in x for x in r["lessons"])
    html = (tmp_path / "r.html").read_text()
    assert leak.trace["trace"] in html and incident in html
    assert "return or destroy all copies" in html
