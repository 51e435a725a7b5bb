//! The ledger as evidence: signed checkpoints of every chain's head, and the check that a
//! subject's chain and current state are what the records say.

pub mod checkpoint;
