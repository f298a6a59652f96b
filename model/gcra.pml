/* The cross-process GCRA reservation of SluiceLimiter, for spin.
 *
 * What each part stands for in the Swift code:
 *   tat           QueueHandle.mainCell: the queue's Atomic<UInt64> TAT in the segment
 *   now           coordinator.clock.now() (CLOCK_MONOTONIC), read on every attempt
 *   decide        GCRA.reserve(tat:now:cost:1:limit:maxWait:) (GCRA.swift)
 *   cas           compareExchange(expected: tat, desired: newTAT); on a lost race
 *                 the TAT it returns is used (QueueHandle.reserveMainCell)
 *   give back     ReservationTicket.giveBack / Commits.rollBack: CAS(new -> old),
 *                 so capacity someone charged after us stays spent
 *   starts[]      what the sandbox's sliding window counts: requests started
 *
 * Time is in ticks: one request per INTERVAL ticks, bursts of BURST. PROCS
 * processes make ROUNDS reservations each, while the clock runs to HORIZON.
 * Safety ("no window admits more than rate*W + burst"): in every closed
 * window [t, t+w], at most BURST + w/INTERVAL requests start.
 *
 * Broken variants, which must fail: -DBROKEN charges the TAT by a plain
 * store instead of the compare-and-swap; -DBROKEN_GIVE_BACK gives a
 * reservation back by a plain store, undoing charges made after it.
 */
#define PROCS     2
#define ROUNDS    3
#define INTERVAL  2
#define BURST     2
#define WINDOW    (BURST * INTERVAL)      /* tolerance + interval: GCRA.Limit(rate:burst:) */
#define MAXWAIT   2                       /* a reservation may be granted this far ahead */
#define HORIZON   4
#define TICKS     (HORIZON + MAXWAIT + 1)

byte tat;
byte now;
byte starts[TICKS];

active proctype clock() {
    do
    :: now < HORIZON -> now++
    :: else -> break
    od
}

/* Every closed window [from, from + width] holds at most BURST + width / INTERVAL starts. */
inline checkWindows() {
    from = 0;
    do
    :: from < TICKS ->
        width = 0; count = 0;
        do
        :: from + width < TICKS ->
            count = count + starts[from + width];
            assert(count <= BURST + width / INTERVAL);
            width++
        :: else -> break
        od;
        from++
    :: else -> break
    od;
    from = 0; width = 0; count = 0                /* scratch: cleared, so it adds no states */
}

active [PROCS] proctype process() {
    byte round, seen, instant, newTat, allowAt, start;
    byte from, width, count;
    bool granted;
    do
    :: round < ROUNDS ->
        seen = tat;                                   /* load(.relaxed) */
        do
        :: d_step {
                /* Read the clock on every attempt, then GCRA.reserve, which is
                   pure: base = max(tat, now); newTAT = base + increment;
                   allowAt = newTAT - window; start = max(now, allowAt). */
                instant = now;
                newTat = (seen > instant -> seen : instant) + INTERVAL;
                allowAt = (newTat > WINDOW -> newTat - WINDOW : 0);
                start = (instant > allowAt -> instant : allowAt);
                allowAt = 0
            }
            if
            :: start - instant > MAXWAIT -> granted = false; break   /* .denied */
            :: else ->
#ifdef BROKEN
                tat = newTat; granted = true; break                  /* a plain store */
#else
                atomic {
                    if
                    :: tat == seen -> tat = newTat; granted = true
                    :: else -> seen = tat; granted = false           /* lost the race: retry */
                    fi
                }
                if
                :: granted -> break
                :: else -> skip
                fi
#endif
            fi
        od;
        if
        :: granted ->
            if
            :: d_step { starts[start]++; checkWindows() }            /* the request starts */
#ifdef BROKEN_GIVE_BACK
            :: tat = seen                                            /* given back by a plain store */
#else
            /* Given back. No `else` here: as an option's first statement spin
               would weigh it against the other option, which is always enabled. */
            :: atomic { if :: tat == newTat -> tat = seen :: tat != newTat -> skip fi }
#endif
            fi
        :: else -> skip
        fi;
        d_step { round++; seen = 0; instant = 0; newTat = 0; start = 0; granted = false }
    :: else -> break
    od
}
