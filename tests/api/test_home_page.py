"""The home page (issue 13, finding 13): ``/`` answers the page of the user's apps, not a JSON 404, and the menu
it is drawn from says which entries have a page to open."""

from __future__ import annotations


def test_the_root_is_the_home_page(platform):
    page = platform.client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "一屏功能展示" in page.text and "/home-assets/home.js" in page.text
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/home-assets/home.js", "/home-assets/home.css", "/dossier-assets/common.js"):
        assert platform.client.get(asset).status_code == 200


def test_the_menu_says_which_entries_open_a_page(platform):
    platform.user("chen.jing", ["analyst"])
    entries = platform.client.get("/api/menu", headers=platform.login("chen.jing")).json()["entries"]
    pages = {e["key"]: e["page"] for e in entries}
    assert pages == {"persons": False, "alerts": True, "map": True, "dossier": True}  # persons: the API only
    assert all(e["app_zh"] and e["app_en"] for e in entries)
