"""The hub configuration of docs/admin-hub.md, as the hub tests run it: the
guide's marked python blocks, with only the per-machine values filled in."""

from __future__ import annotations

import re

from hub_harness import ROOT

GUIDE = ROOT / "docs" / "admin-hub.md"


def guide_block(name: str) -> str:
    """The fenced python block after `<!-- tested: NAME -->` in the guide."""
    text = GUIDE.read_text()
    match = re.search(rf"<!-- tested: {re.escape(name)} -->\s*```python\n(.*?)```", text, re.DOTALL)
    assert match, f"{GUIDE} has no ```python block marked <!-- tested: {name} -->"
    return match.group(1)


def filled(block: str, values: dict[str, str]) -> str:
    """`block` with each placeholder replaced; each must be there."""
    for placeholder, value in values.items():
        assert placeholder in block, f"the guide's block lost its {placeholder!r}:\n{block}"
        block = block.replace(placeholder, value)
    return block


def hub_mode_config(
    service_url: str,
    es_url: str,
    api_key: str,
    ca_file: str,
    index_prefix: str,
    quota_docs_per_s: int | None = None,
) -> str:
    """jupyterhub_config.py lines for the tflog hub service and users'
    servers (sections 2 and 3 of the guide), plus the test's own index
    prefix so that suites sharing a node leave no trace in each other."""
    values = {
        "http://127.0.0.1:10101": service_url,
        "https://elasticsearch.example.org:9200": es_url,
        "<API key: base64 of id:api_key>": api_key,
        "/etc/jupyterhub/elasticsearch-ca.pem": ca_file,
    }
    if quota_docs_per_s is not None:
        values['"TFLOG_HUB_QUOTA_DOCS_PER_S": "2000"'] = (
            f'"TFLOG_HUB_QUOTA_DOCS_PER_S": "{quota_docs_per_s}"'
        )
    config = "\n# --- docs/admin-hub.md: jupyterhub_config ---\n" + filled(
        guide_block("jupyterhub_config"), values
    )
    config += "\n# --- docs/admin-hub.md: spawner_environment ---\n" + filled(
        guide_block("spawner_environment"), {"http://127.0.0.1:10101": service_url}
    )
    config += (
        "\n# --- the test's own ---\n"
        "for _service in c.JupyterHub.services:\n"
        '    if _service["name"] == "tflog":\n'
        f'        _service["environment"]["TFLOG_INDEX_PREFIX"] = {index_prefix!r}\n'
    )
    return config
