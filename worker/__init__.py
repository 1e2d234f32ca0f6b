"""RQ jobs: fan-out, paced sending, outcome follow-ups and reconciliation after crashes."""
