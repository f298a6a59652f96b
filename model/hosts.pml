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
 *   start[]        the instants the hosts let requests start at, on one
 *                  true time line (the granted instants: a worker that starts
 *                  late is jitter, not the protocol)
 *
 * Two hosts each reserve two blocks of three instants, Redis's clock moving
 * on between calls as it likes; each call picks its bound (1 or 2 ticks of
 * error) and its round trip (within the bound, or one tick of error over).
 * Burst 1. Safety ("the limit holds across hosts, at burst 1"): sorted, any
 * m+1 starts (m ≥ 2) span at least (m−1) intervals, i.e. a half-open window
 * of m−1 intervals holds at most m = rate·W + 1.
 *
 * -DBROKEN          leaves no guard (blocks adjoin): must fail.
 * -DBROKEN_BOUND    guards with this block's bound alone, forgetting that the
 *                   previous block was taken with a larger one: must fail.
 * -DBROKEN_TRIM     uses a block whose round trip overran its bound whole:
 *                   must fail.
 */
#define INTERVAL 2
#define K        3       /* instants per block */
#define BLOCKS   2       /* blocks per host */
#define STARTS   12      /* 2 hosts × BLOCKS × K, at most */

int tat;
int lastBound;
byte now;
int start[STARTS];
byte recorded;
byte finished;

/* One call of the script, atomically (Lua scripts run alone in Redis).
 * Bounds are even, so (lastBound + bound) / 2 is exact. */
inline reserve(first, bound) {
    atomic {
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
        tat = first + K * INTERVAL;
        lastBound = bound
    }
}

proctype host() {
    int first, guard, bound, rtt, err;
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
        reserve(first, bound);
        if                                              /* the real round trip */
        :: rtt = bound
        :: rtt = bound + 2                              /* overran: one tick more error */
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
            k = edge;
            do
            :: k < K - edge -> start[recorded] = first + k * INTERVAL + err; recorded++; k++
            :: else -> break
            od
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
