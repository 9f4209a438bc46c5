#!/usr/bin/env bash
# 102,000 concurrent loopback connections: 7 `serve --reuse-port` processes share one port,
# 6 `load` segment processes spread their connections over 8 source addresses.
set -u
bin=${SOCKFUZZ:-.build/release/sockfuzz}
out=${OUT:-bench-results/100k}; rm -rf $out; mkdir -p $out
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
spids=()
for s in 0 1 2 3 4 5 6; do
  $bin serve --mode epoll --port $port --reuse-port >$out/serve-$s.out 2>&1 & spids+=($!)
done
sleep 1
at=@$(( $(date +%s) + 3 ))
lpids=()
# Peak RSS of each loader, where GNU time is installed (apt-get install time).
timer=(); [ -x /usr/bin/time ] && timer=(/usr/bin/time -v)
for i in 0 1 2 3 4 5; do
  "${timer[@]}" $bin load --target 127.0.0.1:$port --connections 102000 --segment $i/6 --source 127.0.0.2-127.0.0.9 \
    --rate 30000 --duration 20s --start-at $at --inflight 500 --json $out/share-$i.json >$out/load-$i.out 2>$out/load-$i.time & lpids+=($!)
done
peak=0
for t in $(seq 1 60); do
  sleep 1
  n=$(ss -Htn state established "( sport = :$port )" | wc -l)
  echo "$(date +%T) established server-side: $n" >> $out/ss.log
  [ "$n" -gt "$peak" ] && peak=$n
  alive=0; for p in "${lpids[@]}"; do kill -0 $p 2>/dev/null && alive=1; done
  [ $alive = 0 ] && break
done
for p in "${lpids[@]}"; do wait $p; done
echo "peak established (server side): $peak" | tee -a $out/ss.log
for p in "${spids[@]}"; do echo "serve $p $(grep VmHWM /proc/$p/status)" >> $out/ss.log; done
for p in "${spids[@]}"; do kill -TERM $p; done
for p in "${spids[@]}"; do wait $p; done
$bin merge $out/share-*.json --json $out/merged.json --html $out/merged.html > $out/merge.out 2>&1; echo "merge exit $?" >> $out/merge.out
