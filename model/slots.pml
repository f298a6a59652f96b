/* The fleet-wide concurrency slots of SluiceLimiter, for spin.
 *
 * What each part stands for in the Swift code (ConcurrencySlots.swift):
 *   slot[]        a queue's slot table: one Atomic<UInt64> per slot, the
 *                 owner's pid or 0
 *   take          takeSlot(): from a start position that depends on the pid,
 *                 a relaxed load, then CAS(0 -> pid)
 *   release       release(_:): CAS(pid -> 0); false if the slot was reclaimed
 *   die           kill -9 at any instant (the `unless` escape): the process
 *                 stops, holding whatever it held
 *   supervisor    Coordinator.reclaim(deadPID:) after the supervisor reaps the
 *                 pid: load, then CAS(pid -> 0) on each slot it owns
 *   mine[p]       the slot process p believes it holds (index + 1, 0 for none)
 *
 * Safety ("no slot is held by two owners"): no two live processes believe
 * they hold the same slot, and a live holder's slot records its pid.
 *
 * -DBROKEN takes a slot with a load and a plain store instead of the CAS:
 * that must fail.
 */
#define PROCS 3
#define SLOTS 2

byte slot[SLOTS];
byte mine[PROCS + 1];
bool dead[PROCS + 1];
byte killed;                               /* the pid the killer chose, 0 for none yet */

active proctype invariant() {
    byte p, q;
    atomic {
        p = 1;
        do
        :: p <= PROCS ->
            assert(dead[p] || mine[p] == 0 || slot[mine[p] - 1] == p);
            q = p + 1;
            do
            :: q <= PROCS -> assert(dead[p] || dead[q] || mine[p] == 0 || mine[p] != mine[q]); q++
            :: else -> break
            od;
            p++
        :: else -> break
        od
    }
}

active proctype killer() {
    if
    :: killed = 1
    :: killed = 2
    :: skip                                /* nobody dies */
    fi
}

active proctype supervisor() {
    byte p, i;
end:
    atomic { killed != 0 && dead[killed] -> p = killed }   /* waitpid reaped it */
    do
    :: i < SLOTS ->
        if
        :: slot[i] == p ->                 /* the CAS cannot fail: nobody else moves a dead pid's slot */
            atomic { if :: slot[i] == p -> slot[i] = 0 :: else -> skip fi }
        :: else -> skip
        fi;
        i++
    :: else -> break
    od
}

active [PROCS] proctype worker() {
    byte me = _pid - 2;                   /* its pid: 1..PROCS */
    byte k, i;
    {
        do
        :: k = 0;                          /* takeSlot */
            do
            :: k < SLOTS ->
                i = (me + k) % SLOTS;
#ifdef BROKEN
                if
                :: slot[i] == 0 -> slot[i] = me; mine[me] = i + 1
                :: else -> skip
                fi;
#else
                if
                :: slot[i] == 0 ->         /* relaxed load first, as takeSlot does */
                    atomic { if :: slot[i] == 0 -> slot[i] = me; mine[me] = i + 1 :: else -> skip fi }
                :: else -> skip
                fi;
#endif
                if
                :: mine[me] != 0 -> break
                :: else -> k++
                fi
            :: else -> break
            od;
            if                             /* hold it for a while, then release */
            :: mine[me] != 0 ->
                atomic { if :: slot[mine[me] - 1] == me -> slot[mine[me] - 1] = 0 :: else -> skip fi; mine[me] = 0 }
            :: else -> skip
            fi;
            atomic { k = 0; i = 0 }
        od
    } unless { killed == me -> dead[me] = true }
}
