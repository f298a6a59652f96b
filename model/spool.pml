/* The spool's enqueue / expansion / recovery / marker protocol (SluiceSpool),
 * for spin.
 *
 * What each part stands for in the Swift code:
 *   batch b        a batch in journal/: ndjson[b] (<base>.ndjson), prepared[b]
 *                  (<base>.prepared), origin[b] (<base>.origin: NONE, or the
 *                  inode it is, ORIG(b), or REMADE(b) when an expander had to
 *                  make it again), lock[b] (its flock: 0, or the holder)
 *   xfile[b]       tmp/x-<base>-0, the task file prepared for ready/
 *   marker         ids/<key>: NONE, or the origin inode it is a hard link of
 *   ready, finished    copies of the task in ready/, and completions
 *   Enqueuer(b)    SpoolQueue.enqueue + JournalBatch.commit (+ withdraw), with
 *                  or without expandingNow; batch 1 is a second client
 *                  sending the same task id at the same time
 *   Expander       a claimer's expandAll(waiting: 0)
 *   Recovery       SpoolQueue.recover: removeScratch, expandAll,
 *                  removeStaleOrigins (leases are not modelled: they are one
 *                  rename each, safe by construction)
 *   Completer      claim + complete: the task leaves ready/, then its marker goes
 *
 * Any one process may crash at any step (kill -9): it stops there, and the
 * kernel drops its locks. Every look-up is its own step, as the system calls
 * are. When every process has ended, a final recovery runs alone (the next
 * start), and then:
 *   - a batch answered "accepted" was published exactly once;
 *   - a batch answered "existing" (its id was taken) was never published;
 *   - no batch is published twice (asserted as it happens);
 *   - the marker names a task in ready/, or there is none (never a marker
 *     that makes a retry answer "existing" for a task that does not exist);
 *   - nothing is left in journal/ or tmp/.
 *
 * Broken variants, each of which must fail:
 *   -DBROKEN_LISTING  removeScratch decides from a journal/ listing taken
 *                     before it lists tmp/ (issue D1)
 *   -DBROKEN_ORIGIN   removeStaleOrigins decides from an earlier listing (D3)
 *   -DBROKEN_ORDER    removeStaleOrigins looks for the batch before it asks
 *                     whether its committer is gone
 *   -DBROKEN_OWN      recovery treats a live enqueuer as gone (D4)
 *   -DBROKEN_WITHDRAW a refused line is left in its durable batch (D2)
 *
 * Statements spin reports unreached, and why:
 *   origin[b] = REMADE(b)  an expander finding a batch without its origin:
 *                          the correct protocol never removes an origin while
 *                          its batch is in journal/ (every broken variant
 *                          reaches it). The Swift code keeps the path only
 *                          for a spool damaged from outside.
 *   the crash points in init  the final recovery (the next start) does not crash.
 */
#define NONE       0
#define ORIG(b)    (b + 1)
#define REMADE(b)  (b + 3)
#define BATCHES    2
#define ENQUEUER(b) (b + 1)
#define EXPANDER   3
#define RECOVERY   4
#define JANITOR    5

bool ndjson[BATCHES], prepared[BATCHES], xfile[BATCHES];
byte origin[BATCHES], lock[BATCHES];
byte marker;
byte ready, finished;
byte publishedFrom[BATCHES];
bool accepted[BATCHES], refused[BATCHES], gone[BATCHES];
bool crashed;                              /* the one crash has happened */

/* A crash point: the process may die here (at most one crash per run). */
#define CRASH(me)                                                      \
    if                                                                 \
    :: !crashed -> atomic { crashed = true; release(me); dies(me) }; goto dead \
    :: true                                                            \
    fi

inline release(me) {
    if :: lock[0] == me -> lock[0] = 0 :: else fi;
    if :: lock[1] == me -> lock[1] = 0 :: else fi
}

inline dies(me) {
    if
    :: me == ENQUEUER(0) -> gone[0] = true
    :: me == ENQUEUER(1) -> gone[1] = true
    :: else
    fi
}

/* isPending: .ndjson looked up first, then .prepared (the order a batch takes them). */
inline lookPending(b, p) {
    p = ndjson[b];
    if :: !p -> p = prepared[b] :: else fi
}

/* JournalExpander.expand: requires lock[b] == me. */
inline expand(b, me) {
    if
    :: !prepared[b] ->
        if :: origin[b] == NONE -> origin[b] = REMADE(b) :: else fi;
        CRASH(me);
        atomic {
            if :: marker == NONE -> marker = origin[b] :: else fi;
            ours = (marker == origin[b])
        };
        CRASH(me);
        if :: ours -> xfile[b] = true :: else fi;     /* a line whose id is taken is dropped */
        CRASH(me);
        atomic { ndjson[b] = false; prepared[b] = true };   /* after syncfs */
        CRASH(me)
    :: else
    fi;
    if
    :: xfile[b] -> atomic { xfile[b] = false; ready++; publishedFrom[b]++; assert(publishedFrom[b] == 1) }
    :: else
    fi;
    CRASH(me);
    prepared[b] = false;
    CRASH(me);
    origin[b] = NONE
}

/* tryLock: only a batch still in journal/, only if no one holds it. */
inline tryLock(b, me, got) {
    atomic {
        if
        :: lock[b] == 0 && (ndjson[b] || prepared[b]) -> lock[b] = me; got = true
        :: else -> got = false
        fi
    }
}

inline expandAll(me) {
    b = 0;
    do
    :: b < BATCHES ->
        tryLock(b, me, got);
        if :: got -> expand(b, me); lock[b] = 0 :: else fi;
        b++
    :: else -> break
    od
}

/* SpoolQueue.removeScratch, for the x-files. */
inline removeScratch(me) {
#ifdef BROKEN_LISTING
    snapshot[0] = ndjson[0] || prepared[0]; snapshot[1] = ndjson[1] || prepared[1];
    CRASH(me);
#endif
    b = 0;
    do
    :: b < BATCHES ->
        seen = xfile[b];                                    /* the listing of tmp/ */
        CRASH(me);
#ifdef BROKEN_LISTING
        p = snapshot[b];
#else
        lookPending(b, p);
#endif
        CRASH(me);
        atomic { if :: seen && !p && xfile[b] -> xfile[b] = false :: else fi };   /* retire into spare/ */
        b++
    :: else -> break
    od
}

/* SpoolQueue.removeStaleOrigins. */
inline removeStaleOrigins(me) {
#ifdef BROKEN_ORIGIN
    snapshot[0] = ndjson[0] || prepared[0]; snapshot[1] = ndjson[1] || prepared[1];
    CRASH(me);
#endif
    b = 0;
    do
    :: b < BATCHES ->
        seen = (origin[b] != NONE);                         /* the listing of journal/ */
        CRASH(me);
#if defined(BROKEN_ORIGIN)
        p = snapshot[b]; g = gone[b];
#elif defined(BROKEN_ORDER)
        lookPending(b, p);
        g = gone[b];
#elif defined(BROKEN_OWN)
        g = true;
        lookPending(b, p);
#else
        g = gone[b];                                        /* the committer first ... */
        lookPending(b, p);                                  /* ... then the batch */
#endif
        CRASH(me);
        if :: seen && g && !p -> origin[b] = NONE :: else fi;
        b++
    :: else -> break
    od
}

inline recover(me) {
    removeScratch(me);
    expandAll(me);
    removeStaleOrigins(me)
}

proctype Enqueuer(byte b; bool expandNow) {
    bool ours;
    byte me = ENQUEUER(b);
    if
    :: marker != NONE -> refused[b] = true; goto finish       /* the id is taken: nothing written */
    :: else
    fi;
    CRASH(me);
    lock[b] = me;                                           /* locked in tmp/, before it is renamed in */
    origin[b] = ORIG(b);
    CRASH(me);
    ndjson[b] = true;                                       /* with fsync(journal/): durable */
    CRASH(me);
    atomic {                                                /* link the marker */
        if :: marker == NONE -> marker = ORIG(b) :: else fi;
        ours = (marker == ORIG(b))
    };
    CRASH(me);
#ifndef BROKEN_WITHDRAW
    if
    :: !ours ->                                             /* withdraw the refused line (the batch's only one) */
        ndjson[b] = false;
        CRASH(me);
        origin[b] = NONE;
        CRASH(me)
    :: else
    fi;
#endif
    if
    :: ours && expandNow -> expand(b, me); CRASH(me)
    :: else
    fi;
    lock[b] = 0;
    accepted[b] = ours;
    refused[b] = !ours;
finish:
    if :: gone[b] = true :: skip fi;                        /* the process may exit, or live on */
dead:
    skip
}

proctype Expander() {
    byte b;
    bool got, ours;
    byte me = EXPANDER;
    expandAll(me);
dead:
    skip
}

proctype Recovery() {
    byte b;
    bool got, ours, seen, p, g;
    bool snapshot[BATCHES];
    byte me = RECOVERY;
    recover(me);
dead:
    skip
}

proctype Completer() {
    do
    :: atomic { ready > 0 -> ready-- }; finished++; marker = NONE  /* the file leaves, then the marker */
    :: break
    od
}

init {
    byte b;
    bool got, ours, seen, p, g;
    bool snapshot[BATCHES];
    byte me = JANITOR;
    atomic {
        run Enqueuer(0, true); run Enqueuer(1, false);
        run Expander(); run Recovery(); run Completer()
    }
    (_nr_pr == 1);                                          /* everyone has ended */
    crashed = true;                                         /* the janitor does not crash */
    gone[0] = true; gone[1] = true;                         /* the next start: every earlier process is gone */
    recover(me);
    b = 0;
    do
    :: b < BATCHES ->
        assert(!accepted[b] || publishedFrom[b] == 1);     /* accepted: published, once */
        assert(!refused[b] || publishedFrom[b] == 0);      /* told "existing": never run */
        assert(!ndjson[b] && !prepared[b] && !xfile[b] && origin[b] == NONE);
        b++
    :: else -> break
    od;
    assert(marker == NONE || ready > 0);                    /* a marker always names a task */
dead:
    skip
}
