"""Everything that makes or checks a differential-privacy claim: accounting, the ledger,
private preprocessing, per-record clipping, the DP trainer, and the canary bound."""
