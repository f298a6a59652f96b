/* The limit across hosts (SluiceCluster): blocks of start instants reserved
 * from one schedule in Redis, each host mapping them onto its own clock.
 *
 * What each part stands for in the Swift code:
 *   tat, now       the Lua script's schedule and Redis's TIME (ticks here)
 *   reserve        the script: a block of K consecutive instants spaced by
 *                  INTERVAL, from max(tat + guard, now); tat moves past it
 *   guard          the gap the script leaves before a block: enough that two
 *                  blocks mapped with errors of opposite signs cannot bring
 *                  their instants closer than the schedule allows:
 *                  max(0, (previous bound + this bound)/2 − interval)
 *   err            a host's mapping error: it places Redis's instants on its
 *                  own monotonic clock by the midpoint of the call's round
 *                  trip, so each block lands up to half its round trip early
 *                  or late (a block whose round trip exceeds the host's
 *                  declared bound is not used: its instants pass unused)
 *   start[]        the instants the hosts let requests start at, on one
 *                  true time line
 *
 * Two hosts each reserve two blocks of two instants, Redis's clock moving on
 * between calls as it likes. Burst 1. Safety ("the limit holds across hosts,
 * at burst 1"): sorted, any k+1 starts span at least (k-1) intervals and two
 * starts at least one, i.e. a window of m intervals holds at most m + 1.
 *
 * -DBROKEN leaves no guard (blocks adjoin): it must fail.
 */
#define INTERVAL 2
#define K        2       /* instants per block */
#define BLOCKS   2       /* blocks per host */
#define E        2       /* a host's largest mapping error, in ticks (bound = 2E) */
#define STARTS   8       /* 2 hosts × BLOCKS × K */

int tat;
byte now;
int start[STARTS];
byte recorded;
byte finished;

/* One call of the script, atomically (Lua scripts run alone in Redis). */
inline reserve(first) {
    atomic {
#ifdef BROKEN
        guard = 0;
#else
        guard = (2 * E > INTERVAL -> 2 * E - INTERVAL : 0);
#endif
        first = (tat + guard > now -> tat + guard : now);
        tat = first + K * INTERVAL
    }
}

proctype host() {
    int first, guard;
    byte block = 0, k;
    int err;
    do
    :: block < BLOCKS ->
        if                                              /* Redis's clock moves on */
        :: now < 6 -> now++
        :: skip
        fi;
        reserve(first);
        if                                              /* this block's mapping error */
        :: err = -E
        :: err = 0
        :: err = E
        fi;
        k = 0;
        do
        :: k < K -> atomic { start[recorded] = first + k * INTERVAL + err; recorded++ }; k++
        :: else -> break
        od;
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
    d_step {                                            /* sort the starts */
        i = 0;
        do
        :: i < STARTS ->
            j = i + 1;
            do
            :: j < STARTS ->
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
    i = 0;
    do
    :: i < STARTS ->
        m = 2;
        do
        :: i + m < STARTS ->                            /* m+1 starts span ≥ (m-1) intervals */
            assert(start[i + m] - start[i] >= (m - 1) * INTERVAL);
            m++
        :: else -> break
        od;
        i++
    :: else -> break
    od
}
