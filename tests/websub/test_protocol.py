"""The WebSub rules as plain functions: signature checks, challenges, hub discovery."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from alerts.websub import SignatureRefused, check_signature, discover, sha1_allowed, valid_challenge

SECRET = "a-secret-only-the-hub-and-we-know"
BODY = b"<rss><channel><title>pushed</title></channel></rss>"


def signed(method: str, body: bytes = BODY, secret: str = SECRET) -> str:
    return f"{method}=" + hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()


@pytest.mark.parametrize(
    ("header", "allow_sha1", "method"),
    [
        pytest.param(signed("sha256"), False, "sha256", id="sha256"),
        pytest.param(signed("sha384"), False, "sha384", id="sha384"),
        pytest.param(signed("sha512"), False, "sha512", id="sha512"),
        pytest.param(signed("sha256").upper().replace("SHA256=", "sha256="), False, "sha256", id="upper-case-hex"),
        pytest.param(signed("sha1"), True, "sha1", id="sha1-on-an-https-callback"),
    ],
)
def test_valid_signatures_are_taken(header: str, allow_sha1: bool, method: str) -> None:
    assert check_signature(SECRET, BODY, header, allow_sha1=allow_sha1) == method


@pytest.mark.parametrize(
    ("header", "reason", "weak"),
    [
        pytest.param(None, "no X-Hub-Signature", False, id="unsigned"),
        pytest.param("", "no X-Hub-Signature", False, id="empty-header"),
        pytest.param("sha256", "not method=signature", False, id="no-signature-part"),
        pytest.param("md5=" + "0" * 32, "unknown signature method", False, id="unknown-method"),
        pytest.param(signed("sha256", secret="another-secret"), "does not match", False, id="other-secret"),
        pytest.param(signed("sha256", body=BODY + b" "), "does not match", False, id="body-altered"),
        pytest.param(signed("sha512")[:-2], "does not match", False, id="truncated"),
        pytest.param(signed("sha1"), "sha1 signatures are refused", True, id="sha1-on-plain-http"),
    ],
)
def test_bad_signatures_are_refused_with_a_reason(header: str | None, reason: str, weak: bool) -> None:
    with pytest.raises(SignatureRefused, match=reason) as refused:
        check_signature(SECRET, BODY, header, allow_sha1=False)
    assert refused.value.weak_algorithm is weak


@pytest.mark.parametrize(
    ("callback", "allowed"),
    [
        pytest.param("https://aidwatch.example/websub/t", True, id="https"),
        pytest.param("HTTPS://aidwatch.example/websub/t", True, id="https-upper-case"),
        pytest.param("http://aidwatch.example/websub/t", False, id="http"),
    ],
)
def test_sha1_only_over_https_callbacks(callback: str, allowed: bool) -> None:
    assert sha1_allowed(callback) is allowed


@pytest.mark.parametrize(
    ("challenge", "valid"),
    [
        pytest.param("abc-DEF_123.+/=", True, id="every-allowed-kind"),
        pytest.param("x" * 255, True, id="longest"),
        pytest.param("x" * 256, False, id="too-long"),
        pytest.param("", False, id="empty"),
        pytest.param(None, False, id="missing"),
        pytest.param("<script>alert(1)</script>", False, id="markup"),
        pytest.param("two words", False, id="space"),
        pytest.param("caf\u00e9", False, id="non-ascii"),
    ],
)
def test_only_safe_challenges_are_echoed(challenge: str | None, valid: bool) -> None:
    assert valid_challenge(challenge) is valid


FEED = "https://news.example/feed.xml"
HUB = "https://hub.example/"


@pytest.mark.parametrize(
    ("header_links", "feed_links", "hub", "topic"),
    [
        pytest.param(
            {"hub": {"url": HUB}, "self": {"url": "https://news.example/canonical.xml"}},
            [{"rel": "hub", "href": "https://other-hub.example/"}],
            HUB,
            "https://news.example/canonical.xml",
            id="link-header-first",
        ),
        pytest.param(
            {},
            [{"rel": "alternate", "href": "https://news.example/"}, {"rel": "hub", "href": HUB}],
            HUB,
            FEED,
            id="feed-link-without-self",
        ),
        pytest.param(
            {},
            [{"rel": "hub", "href": HUB}, {"rel": "self", "href": "https://news.example/self.xml"}],
            HUB,
            "https://news.example/self.xml",
            id="feed-links-hub-and-self",
        ),
        pytest.param({}, [{"rel": "alternate", "href": "https://news.example/"}], None, FEED, id="no-hub"),
    ],
)
def test_discovery_reads_the_link_header_then_the_feed(
    header_links: dict[str, dict[str, str]], feed_links: list[dict[str, str]], hub: str | None, topic: str
) -> None:
    found = discover(FEED, header_links, feed_links)
    assert (found.hub, found.topic) == (hub, topic)
