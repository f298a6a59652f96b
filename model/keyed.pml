/* The keyed-cell insert of SluiceLimiter (KeyedCells.resolve), for spin.
 *
 * What each part stands for in the Swift code:
 *   table[]       a queue's keyed cells: (key hash, TAT) pairs, each an
 *                 Atomic<WordPair> changed only by a 128-bit compare-and-swap
 *   PENDING + pid KeyedCells.pendingFlag | pid: a position being claimed
 *   scan          the loop in resolve(): our key's entry if any (wait while it
 *                 is pending), else the first claimable position (empty, or a
 *                 TAT in the past: a full bucket remembers nothing)
 *   claim         claim(): CAS the position to pending, scan the rest of the
 *                 window for our key, then finalise (TAT 0) or, on a
 *                 duplicate, empty the position again and start over
 *   charge        CellTarget.exchange: CAS on (our hash, TAT), which fails on
 *                 a position reused by another key
 *   now           the clock: B's entry expires, so A may take its position
 *
 * Keys A and B share a window of WINDOW positions; B starts with a live entry.
 * Two processes resolve A, one resolves B, each then charges its entry.
 * Safety ("a key never gets two cells"): at every moment each key has at
 * most one usable (non-pending) entry.
 *
 * -DBROKEN skips the duplicate scan after a claim: that must fail.
 */
#define WINDOW  2
#define A       1
#define B       2
#define PENDING 100
#define NONE    255

typedef Entry { byte key; byte tat };
Entry table[WINDOW];
byte now;

init {
    table[0].key = B; table[0].tat = 1;       /* B's bucket, refilled at tick 1 */
    atomic { run clock(); run resolver(A); run resolver(A); run resolver(B) }
}

proctype clock() {
    do
    :: now < 2 -> now++
    :: else -> break
    od
}

/* isClaimable: empty, or a settled TAT in the past (a live claimer's pending entry is not). */
#define CLAIMABLE(i) (table[i].key == 0 || (table[i].tat < PENDING && table[i].tat <= now))

/* Usable entries of `k`, counted in one step. */
#define usable(k) ((table[0].key == k && table[0].tat < PENDING) + (table[1].key == k && table[1].tat < PENDING))

active proctype invariant() {
    assert(usable(A) <= 1 && usable(B) <= 1)
}

proctype resolver(byte key) {
    byte i, found, claimable, seenKey, seenTat, other, tat;
    bool waiting, duplicate;
scan:
    skip;
    d_step {                                              /* scratch cleared: fewer states */
        found = NONE; claimable = NONE; waiting = false; i = 0;
        seenKey = 0; seenTat = 0; other = 0; tat = 0; duplicate = false
    }
    do
    :: i < WINDOW ->
        atomic {                                          /* one sequentially consistent load of the pair */
            if
            :: table[i].key == key && table[i].tat < PENDING -> found = i
            :: table[i].key == key && table[i].tat >= PENDING -> waiting = true
            :: table[i].key != key && claimable == NONE && CLAIMABLE(i) ->
                claimable = i; seenKey = table[i].key; seenTat = table[i].tat
            :: else -> skip
            fi
        }
        if
        :: found != NONE || waiting -> break
        :: else -> i++
        fi
    :: else -> break
    od;
    if
    :: found != NONE -> goto charge
    :: waiting -> goto scan                               /* waitForClaim, then look again */
    :: claimable == NONE -> goto done                     /* every position holds a live key */
    :: else -> skip
    fi;
    atomic {                                              /* claim: CAS to pending */
        if
        :: table[claimable].key == seenKey && table[claimable].tat == seenTat ->
            table[claimable].key = key; table[claimable].tat = PENDING + _pid
        :: else -> claimable = NONE                       /* lost the race */
        fi
    }
    if
    :: claimable == NONE -> goto scan
    :: else -> skip
    fi;
    duplicate = false;
#ifndef BROKEN
    other = 0;
    do                                                    /* scan the window for our key */
    :: other < WINDOW ->
        if
        :: other != claimable && table[other].key == key -> duplicate = true
        :: else -> skip
        fi;
        other++
    :: else -> break
    od;
#endif
    atomic {                                              /* finalise (only we change our pending entry) */
        assert(table[claimable].key == key && table[claimable].tat == PENDING + _pid);
        if
        :: duplicate -> table[claimable].key = 0; table[claimable].tat = 0
        :: else -> table[claimable].tat = 0
        fi
    }
    if
    :: duplicate -> goto scan                             /* back off, use the other entry */
    :: else -> found = claimable
    fi;
charge:
    atomic {                                              /* CellTarget.load: nil if reused or pending */
        if
        :: table[found].key == key && table[found].tat < PENDING -> tat = table[found].tat
        :: else -> found = NONE
        fi
    }
    if
    :: found == NONE -> goto scan                         /* reserveCells starts over */
    :: else -> skip
    fi;
    atomic {                                              /* CAS on (our key, tat) */
        if
        :: table[found].key == key && table[found].tat == tat -> table[found].tat = (tat > now -> tat : now) + 1
        :: else -> found = NONE
        fi
    }
    if
    :: found == NONE -> goto scan                         /* lost a race: start over */
    :: else -> skip
    fi;
done:
    skip;
    d_step { i = 0; found = 0; claimable = 0; seenKey = 0; seenTat = 0; other = 0; tat = 0; duplicate = false }
}
