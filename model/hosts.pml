/* The limit across hosts (SluiceCluster): blocks of start instants reserved
 * from one schedule in Redis, each host mapping them onto its own clock.
 *
 * What each part stands for in the Swift code:
 *   tat, now       the Lua script's schedule and Redis's TIME (ticks here)
 *                  (ScheduleScript.swift)
 *   reserve        the script: a block of K consecutive instants spaced by
 *                  INTERVAL, from max(tat + guard, now); tat moves past it;
 *                  the script stores the bound the block was taken with
 *   bound          what a host declares with each call: the largest round
 *                  trip it will accept for that block (BlockPlan.bound); its
 *                  mapping error is then at most bound / 2. Hosts declare
 *                  different bounds, from call to call too.
 *   guard          the gap the script leaves before a block: enough that the
 *                  previous block and this one, mapped with errors of
 *                  opposite signs, cannot bring their instants closer than
 *                  the schedule allows: max(0, (previous bound + this
 *                  bound)/2 − interval)
 *   rtt, err       the call's real round trip, and the block's mapping error
 *                  (midpoint of the round trip: |err| ≤ rtt / 2)
 *   trim           a reply whose round trip overran its bound
 *                  (BlockPlan.trimmed): the excess error, (rtt − bound) / 2,
 *                  is dropped at each end of the block, in whole instants;
 *                  those instants pass unused, the rest is used
 *   held, HOLD     the fleet's hold (ClusterAgent+Propagation.swift): a
 *                  host told to wait (a 429) publishes "HOLD ticks from
 *                  now" with a call (here one host, once, with any of its
 *                  calls); the script keeps held = max(held, now + HOLD),
 *                  on Redis's clock, and starts no block
 *                  before it; the reply says what is left of it, which the
 *                  host places after the reply arrived (the latest Redis
 *                  could have read its clock): its local hold is, on the
 *                  true time line, held + err + rtt/2 ≥ held, and instants
 *                  before it pass unused (the segment's push-back)
 *   start[]        the instants the hosts let requests start at, on one
 *                  true time line (the granted instants: a worker that starts
 *                  late is jitter, not the protocol)
 *
 * Two hosts each reserve two blocks of three instants, Redis's clock moving
 * on between calls as it likes; each call picks its bound (1 or 2 ticks of
 * error) and its round trip (within the bound, or one tick of error over).
 * Burst 1. Safety ("the limit holds across hosts, at burst 1"): sorted, any
 * m+1 starts (m ≥ 2) span at least (m−1) intervals, i.e. a half-open window
 * of m−1 intervals holds at most m = rate·W + 1. And "a hold holds every
 * host": no start of a block reserved after a hold was published (by
 * either host) is before the hold's end.
 *
 * -DBROKEN          leaves no guard (blocks adjoin): must fail.
 * -DBROKEN_BOUND    guards with this block's bound alone, forgetting that the
 *                   previous block was taken with a larger one: must fail.
 * -DBROKEN_TRIM     uses a block whose round trip overran its bound whole:
 *                   must fail.
 * -DWITH_HOLD       adds the hold (one host told to wait, once, with any of
 *                   its calls) and checks both properties; to stay within
 *                   pan's memory bound it leaves out round trips that
 *                   overrun their bound (trimming is checked without it).
 * -DBROKEN_HOLD     (with -DWITH_HOLD) the host uses the block as mapped, trusting the script's
 *                   start after the hold and skipping nothing: its mapping
 *                   error puts a start inside the hold: must fail.
 */
#define INTERVAL 2
#define K        3       /* instants per block */
#define BLOCKS   2       /* blocks per host */
#define STARTS   12      /* 2 hosts × BLOCKS × K, at most */
#define HOLD     3       /* a hold's length, in ticks */

int tat;
int held;
bool told;
int lastBound;
byte now;
int start[STARTS];
byte recorded;
byte finished;

/* One call of the script, atomically (Lua scripts run alone in Redis).
 * Bounds are even, so (lastBound + bound) / 2 is exact. */
inline reserve(first, bound, hold) {
    atomic {
#ifdef WITH_HOLD
        if                                              /* one host, once, was told to wait (a 429) */
        :: !told -> held = now + HOLD; told = true
        :: skip
        fi;
#endif
        hold = held;
#ifdef BROKEN
        guard = 0;
#else
#ifdef BROKEN_BOUND
        guard = (bound > INTERVAL -> bound - INTERVAL : 0);
#else
        guard = ((lastBound + bound) / 2 > INTERVAL -> (lastBound + bound) / 2 - INTERVAL : 0);
#endif
#endif
        first = (tat + guard > now -> tat + guard : now);
        first = (held > first -> held : first);
        tat = first + K * INTERVAL;
        lastBound = bound
    }
}

proctype host() {
    int first, guard, bound, rtt, err, hold, placed;
    byte block = 0, k, edge;
    do
    :: block < BLOCKS ->
        if                                              /* Redis's clock moves on */
        :: now < 6 -> now++
        :: skip
        fi;
        if                                              /* the bound declared: error ≤ 1 or ≤ 2 */
        :: bound = 2
        :: bound = 4
        fi;
        reserve(first, bound, hold);
        if                                              /* the real round trip */
        :: rtt = bound
#ifndef WITH_HOLD
        :: rtt = bound + 2                              /* overran: one tick more error */
#endif
        fi;
        if                                              /* this block's mapping error, |err| ≤ rtt/2: */
        :: err = -(rtt / 2)                             /* its extremes (an error between them brings */
        :: err = rtt / 2                                /* no two instants closer than one of them does) */
        fi;
#ifdef BROKEN_TRIM
        edge = 0;
#else
        /* ceil(((rtt − bound) / 2) / INTERVAL) instants dropped at each end */
        edge = ((rtt - bound) / 2 + INTERVAL - 1) / INTERVAL;
#endif
        d_step {                                        /* the order starts are recorded in does not matter */
            placed = (hold > 0 -> hold + err + rtt / 2 : -100);   /* the hold as this host places it (none: -100) */
            k = edge;
            do
#ifdef BROKEN_HOLD
            :: k < K - edge ->
#else
            :: k < K - edge && first + k * INTERVAL + err < placed -> k++   /* inside the hold: passes unused */
            :: k < K - edge && first + k * INTERVAL + err >= placed ->
#endif
                assert(hold == 0 || first + k * INTERVAL + err >= hold);
                start[recorded] = first + k * INTERVAL + err; recorded++; k++
            :: else -> break
            od;
            hold = 0; placed = 0                        /* used up: no state to tell apart */
        };
        block++
    :: else -> break
    od;
    finished++
}

init {
    byte i, j, m;
    int t;
    atomic { run host(); run host() }
    (finished == 2);
    d_step {                                            /* sort the starts recorded */
        i = 0;
        do
        :: i < recorded ->
            j = i + 1;
            do
            :: j < recorded ->
                if
                :: start[j] < start[i] -> t = start[i]; start[i] = start[j]; start[j] = t
                :: else
                fi;
                j++
            :: else -> break
            od;
            i++
        :: else -> break
        od
    }
    d_step {
        i = 0;
        do
        :: i < recorded ->
            m = 2;
            do
            :: i + m < recorded ->                      /* m+1 starts span ≥ (m-1) intervals */
                assert(start[i + m] - start[i] >= (m - 1) * INTERVAL);
                m++
            :: else -> break
            od;
            i++
        :: else -> break
        od
    }
}
