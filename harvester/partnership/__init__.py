"""The partnership's action-plan indicators (DESIGN §1: "measures the partnership against its
action plan"): figures against the targets of ``config/sources.toml``, the datasets behind
each figure, per-partner conformity and daily snapshots."""
