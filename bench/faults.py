"""``make faults``: the long forms of the fault proofs, with their figures.

i.  PostgreSQL stops for 10 s under steady load, then comes back;
ii. the mail server goes silent during a burst of 200 distinct errors.

The short forms are tests/test_proof_db_outage.py and test_proof_faults.py.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bench import db_outage, mail_outage
from bench.appenv import load_average
from bench.common import ROOT
from bench.targets import Figure, describe_code, log_path, print_table, save, stamp, summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fault proofs, long form.")
    parser.add_argument("--parts", default="i,ii", help="i, ii or both (i,ii)")
    parser.add_argument("--outage", type=float, default=10, help="i: seconds PostgreSQL stays down")
    parser.add_argument("--clients", type=int, default=8, help="i: concurrent clients")
    parser.add_argument("--burst", type=int, default=200, help="ii: distinct errors per burst")
    parser.add_argument("--mail-timeout", default="10", help="ii: MAIL_TIMEOUT (the default's)")
    parser.add_argument("--breaker-reset", default="60", help="ii: SMTP_BREAKER_RESET (the default's)")
    parser.add_argument("--retry", default="10", help="ii: ERROR_EMAIL_RETRY (the default's)")
    parser.add_argument("--mail-wait", type=float, default=300, help="ii: longest wait for the mails")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))

    when = stamp()
    if (load := load_average()) > 0.5:
        print(f"warning: load average is {load:.2f} before starting", file=sys.stderr)
    path = log_path("faults", when)
    print(f"Logging PostgreSQL, gunicorn and app output to {path.relative_to(ROOT)}")
    print(f"Measuring {describe_code()}")
    figures: list[Figure] = []
    details: dict[str, object] = {"settings": vars(args)}
    with path.open("w") as log:
        try:
            if "i" in parts:
                part, details["db_outage"] = db_outage.run(args.outage, args.clients, log)
                figures += part
                print_table(f"i. PostgreSQL outage ({args.outage:g} s, {args.clients} clients)", part)
            if "ii" in parts:
                settings = {"MAIL_TIMEOUT": args.mail_timeout, "SMTP_BREAKER_RESET": args.breaker_reset,
                            "ERROR_EMAIL_RETRY": args.retry}
                part, details["mail_outage"] = mail_outage.run(args.burst, settings, args.mail_wait, log)
                figures += part
                print_table(f"ii. Mail outage ({args.burst} distinct errors, "
                            + ", ".join(f"{k}={v}" for k, v in settings.items()) + ")", part)
        except KeyboardInterrupt:
            print("\nInterrupted; every server started has been stopped.", file=sys.stderr)
            return 130
    print(f"\n{summary(figures)}")
    print(f"Saved {save('faults', when, figures, details)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
