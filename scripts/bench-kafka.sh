#!/usr/bin/env bash
# make bench-kafka: Bookshelf's Kafka layer against a plain C loop over librdkafka, on `bookshelf broker`
# (12 partitions), in one run. Produce: acknowledged events/s (the layer validates and encodes each CloudEvent
# with the services' EventCodec and sends it through their KafkaEventPublisher; C sends a ready-made one).
# Replay: events/s reading every partition from the beginning (the layer parses, validates, decodes and applies
# each through a ProjectionHost over a KafkaEventSource, as a view does; C only receives). The transport rows
# are the same work without CloudEvents (records only), to show what the librdkafka wrapper itself costs.
#
# Every producer run gets a fresh broker of its own, so that each one sends COUNT records into the same empty
# log (one broker for all of them would have to stay under the embedded broker's 5 MiB per partition, which
# made each run too short to tell from noise). The replays read REPLAY_COUNT records that the C loop put on
# one broker. Each measurement runs ROUNDS times, the three sides in turn and in a rotating order, and the
# best run of each side counts.
#
# The ceilings that follow the table say how high the events rows could go on this machine. The C runs already
# keep much of it busy: their own CPU per event (both sides report it, on standard error) plus what the broker
# process spent serving them. The layer must do that transport work too, plus its own per-event work, measured
# alone on one thread (`bookshelf-bench kafka encode` and `decode`). Even if its transport cost no more than C's and
# every core were busy all the time, it could not take less wall time per event than all of that divided by the
# cores: ceiling = cores / (C events/s x (C CPU + broker CPU + own work) per event).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/bookshelf}
BENCH=${BENCH:-.build/release/bookshelf-bench}
COUNT=${COUNT:-80000}
REPLAY_COUNT=${REPLAY_COUNT:-90000}
ROUNDS=${ROUNDS:-3}

work=$(mktemp -d)
broker_pid=
stop_broker() {
    if [[ -n $broker_pid ]] && kill -0 "$broker_pid" 2>/dev/null; then
        kill -TERM "$broker_pid"
        wait "$broker_pid" || true
    fi
    broker_pid=
    if grep -q "dropped" "$work/broker.log" 2>/dev/null; then
        echo "the embedded broker dropped records during the benchmark; lower COUNT or REPLAY_COUNT" >&2
        exit 1
    fi
}
cleanup() {
    stop_broker || true
    rm -rf "$work"
}
trap cleanup EXIT

# Starts a fresh broker and sets `bootstrap` to its address.
start_broker() {
    rm -f "$work/broker.out"
    mkfifo "$work/broker.out"
    "$BIN" broker --partitions 12 --log-level warning > "$work/broker.out" 2> "$work/broker.log" &
    broker_pid=$!
    local line
    read -r line < "$work/broker.out"
    bootstrap=${line#broker listening on }
    [[ $bootstrap == 127.0.0.1:* ]] || { echo "unexpected broker output: $line" >&2; exit 1; }
}

# CPU seconds (user + system) the broker process has used so far.
broker_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$broker_pid/stat"
}

# Runs a side with its CPU report (standard error) kept in $work/cpu and the broker's CPU time during the run
# added to $work/broker-<name>; prints the side's one line.
measured() {
    local name=$1 before after
    shift
    before=$(broker_cpu)
    "$@" 2> "$work/cpu"
    after=$(broker_cpu)
    echo "$before $after" >> "$work/broker-$name"
}
# The µs of CPU per event of the last measured run, as its "<mode>: cpu ..., <n> µs/event" line says.
cpu_per_event() { sed -n 's/.* \([0-9.]*\) µs\/event$/\1/p' "$work/cpu" | tail -1; }

gcc -O2 -Wall -o "$work/bench-kafka-c" scripts/bench-kafka.c $(pkg-config --cflags --libs rdkafka)
python3 -c 'import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' \
    contracts/events/bookshelf.book.added/examples/valid/v1-dune.json > "$work/event.json"

field() { awk -v n="$2" '{print $n}' <<<"$1"; }
# The best events/s of the runs of one side, one "<mode> <count> <seconds> <events/s>" line each.
best() { awk 'BEGIN { b = 0 } $4 > b { b = $4 } END { print b }' "$1"; }

produce() {
    case $1 in
        c) measured produce-c "$work/bench-kafka-c" produce "$bootstrap" bookshelf.events "$COUNT" "$work/event.json" ;;
        events) measured produce-events "$BENCH" kafka produce --bootstrap-servers "$bootstrap" --count "$COUNT" ;;
        transport) measured produce-transport "$BENCH" kafka produce --layer transport --bootstrap-servers "$bootstrap" --count "$COUNT" ;;
    esac
}
replay() {
    case $1 in
        c) measured replay-c "$work/bench-kafka-c" replay "$bootstrap" bookshelf.events "$total" ;;
        *) measured "replay-$1" "$BENCH" kafka replay --layer "$1" --bootstrap-servers "$bootstrap" ;;
    esac
}
sides=(c events transport)
# Round r runs the sides starting at r, so that none always goes first or last.
in_turn() { for offset in 0 1 2; do echo "${sides[($1 + offset) % 3]}"; done; }

for round in $(seq 0 $((ROUNDS - 1))); do
    for side in $(in_turn "$round"); do
        start_broker
        run=$(produce "$side")
        stop_broker
        [[ $(field "$run" 2) == "$COUNT" ]] || { echo "$side produce: $(field "$run" 2) of $COUNT acknowledged" >&2; exit 1; }
        echo "$run" >> "$work/produce-$side"
        [[ $side == c ]] && cpu_per_event >> "$work/cpu-produce-c"
    done
done

start_broker
"$work/bench-kafka-c" produce "$bootstrap" bookshelf.events "$REPLAY_COUNT" "$work/event.json" > /dev/null
total=$((REPLAY_COUNT + 1)) # with the C producer's warm-up record
for round in $(seq 0 $((ROUNDS - 1))); do
    for side in $(in_turn "$round"); do
        run=$(replay "$side")
        [[ $(field "$run" 2) == "$total" ]] || { echo "$side replay read $(field "$run" 2) of $total events" >&2; exit 1; }
        echo "$run" >> "$work/replay-$side"
        [[ $side == c ]] && cpu_per_event >> "$work/cpu-replay-c"
    done
done
stop_broker

c_p=$(best "$work/produce-c")
c_r=$(best "$work/replay-c")
row() { awk -v name="$1" -v s="$2" -v c="$3" -v goal="$4" 'BEGIN { printf "%-20s %14d %14d %7.0f%% %6s\n", name, s, c, 100 * s / c, goal }'; }
echo "bench-kafka: bookshelf broker (librdkafka $(pkg-config --modversion rdkafka) mock, 12 partitions), best of $ROUNDS runs each"
echo "produce: $COUNT events per run into a fresh broker, acknowledged; replay: all $total events from the beginning"
printf '%-20s %14s %14s %8s %6s\n' "" "Swift events/s" "C events/s" "ratio" "goal"
row "produce (events)" "$(best "$work/produce-events")" "$c_p" ">=70%"
row "produce (transport)" "$(best "$work/produce-transport")" "$c_p" ""
row "replay (events)" "$(best "$work/replay-events")" "$c_r" ">=50%"
row "replay (transport)" "$(best "$work/replay-transport")" "$c_r" ""
# What the events rows add to each event, measured alone (no broker): the record the C loop sends, decoded; and
# events like the produce rows', encoded.
"$BENCH" kafka encode --count 200000 2> "$work/encode" >/dev/null
"$BENCH" kafka decode --count 200000 --record "$work/event.json" 2> "$work/decode" >/dev/null
cat "$work/encode" "$work/decode"

# The ceilings (see the top of this file). C's CPU: the least per event of its runs; the broker's: all of its CPU
# during C's runs over all of their events (its clock ticks are too coarse for one run).
cores=$(nproc)
ceiling() { # <mode> <events per run> <C events/s> <own work ns> <goal>
    local c_cpu broker
    c_cpu=$(sort -g "$work/cpu-$1-c" | head -1)
    broker=$(awk -v n="$2" '{ s += $2 - $1; runs++ } END { printf "%.2f", s / (n * runs) * 1e6 }' "$work/broker-$1-c")
    awk -v mode="$1" -v cores="$cores" -v rate="$3" -v c="$c_cpu" -v b="$broker" -v own="$4" -v goal="$5" 'BEGIN {
        per = c + b + own / 1000
        printf "ceiling %-8s %5.0f%% %6s  = %d cores / (%d events/s x (C %.2f + broker %.2f + own %.2f µs/event))\n",
            mode, 100 * cores / (rate * per / 1e6), goal, cores, rate, c, b, own / 1000 }'
}
ns_per_event() { sed -n 's/.*: \([0-9]*\) ns of CPU per event$/\1/p' "$1"; }
echo "what $cores cores allow the events rows, at best (C's CPU per event, the broker's during C's runs, the layer's own work):"
ceiling produce "$COUNT" "$c_p" "$(ns_per_event "$work/encode")" ">=70%"
ceiling replay "$total" "$c_r" "$(ns_per_event "$work/decode")" ">=50%"
