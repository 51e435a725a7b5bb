"""Schemathesis hooks for the contract run (loaded by scripts/contract.sh).

An `Idempotency-Key` names one request: a client sends a new key with each new write, and the
same key only with the same write again. Generated keys are short and repeat, so a valid key is
made unique before each call (in every phase); an invalid one is left as generated, for the server to refuse. Reusing a key
for a different request (answered 422) is tested in server/tests/api.
"""
import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,100}$")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.match(key):
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
