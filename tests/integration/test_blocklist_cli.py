"""`edgeguard blocklist check URL|FILE`: what a feed would ban, refuse and why, offline
and online (a feed host on 127.0.0.1), with exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeguard_tools.cli import main
from edgeguard_tools.local.feed_server import FeedServer, Route

FIXTURES = Path(__file__).parent.parent / "fixtures" / "blocklist"


@pytest.fixture
def feeds():
    with FeedServer() as server:
        yield server


@pytest.mark.parametrize(
    ("name", "fmt", "bans", "refused"),
    [
        ("drop_v4.json", "drop-json", 5, ["10.0.0.0/8: 10.0.0.0/8 is in 10.0.0.0/8 (private"]),
        ("drop_v6.json", "drop-json", 3, []),
        ("drop.txt", "drop-text", 4, []),
        ("torbulkexitlist", "plain", 5, []),
        ("exit-addresses", "tor-exit-addresses", 3, []),
        ("firehol_level1.netset", "plain", 5, ["224.0.0.0/3", "127.0.0.0/8"]),
        (
            "compromised-ips.txt",
            "plain",
            5,
            ["3.11.53.7: 3.11.53.7/32 is in 3.11.53.0/24, a CloudFront"],
        ),
    ],
)
def test_check_a_file_says_what_it_would_ban_and_refuse(capsys, name, fmt, bans, refused):
    assert main(["blocklist", "check", str(FIXTURES / name)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"format {fmt}:")
    assert f"would ban {bans} " in out
    for line in refused:
        assert line in out


def test_check_json_lists_every_entry_and_the_ip_set_cost(capsys):
    assert main(["blocklist", "check", str(FIXTURES / "torbulkexitlist"), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert len(found["would_ban"]) == 5
    # 185.220.101.4 and .5 aggregate into one /31: 4 IP set entries, not 5
    assert found["ip_set_entries"] == {"ipv4": 4, "ipv6": 0}


def test_check_a_url_downloads_like_the_importer(feeds, capsys):
    feeds.routes["/drop_v4.json"] = Route((FIXTURES / "drop_v4.json").read_bytes())
    assert main(["blocklist", "check", feeds.url("/drop_v4.json"), "--max-width-v4", "17"]) == 0
    out = capsys.readouterr().out
    assert "would ban 4 " in out
    assert "1.19.0.0/16: 1.19.0.0/16 is wider than /17" in out


@pytest.mark.parametrize(
    ("route", "code", "message"),
    [
        (Route(b"", fault="500"), 1, "HTTP 500"),
        (Route(b"", fault="html"), 1, "HTML"),
        (Route(b'{"cidr":"1.10.16.0/20"}\n'), 2, "truncated"),
    ],
)
def test_check_a_bad_url_exits_non_zero_with_why(feeds, capsys, route, code, message):
    feeds.routes["/feed"] = route
    assert main(["blocklist", "check", feeds.url("/feed"), "--format", "drop-json"]) == code
    assert message in capsys.readouterr().err


def test_check_refuses_what_cannot_be_read(tmp_path, capsys):
    assert main(["blocklist", "check", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt" in capsys.readouterr().err
    page = tmp_path / "page.txt"
    page.write_text("<html><body>Login</body></html>")
    assert main(["blocklist", "check", str(page)]) == 2
    assert "HTML" in capsys.readouterr().err
    assert main(["blocklist", "check", "http://feeds.example.com/list.txt"]) == 2
    assert "https://" in capsys.readouterr().err
