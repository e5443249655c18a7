// Package redisstore keeps the revocations and first-exchange records of
// package revoke in Redis, shared by every replica of an API.
//
// A [Store] works on any go-redis client (redis.UniversalClient): one
// server, Sentinel or Cluster. Each replica wraps it in a revoke.List, whose
// local view answers every token check without a round trip.
//
// # Propagation: a version-stamped poll
//
// Every write bumps a sequence number and stamps the entry with it; a list
// asks every poll interval (250ms by default) for the entries stamped after
// the last one it saw, in one script call that costs a sorted-set range
// when nothing changed. A revocation written through replica A is refused
// there at once and on replica B after at most one poll interval plus a
// round trip: well within a second at the default.
//
// Pub/sub and keyspace notifications were not chosen: both deliver at most
// once, so a reader that reconnects must poll anyway to find what it missed;
// their silence proves nothing, so staleness could not be bounded without a
// poll either; and keyspace notifications need a server setting that managed
// Redis services often forbid. The poll gives both at once: a successful
// poll is the proof of freshness that revoke.Config.MaxStale measures, and
// a failed one is what makes a list fail closed.
//
// A reader loads every live entry, instead of the changes, on its first
// poll, when the keys were lost and written anew (a new epoch), when the
// sequence number went back (a restore from an older snapshot, or a failover
// to a replica that missed writes), and once per [Config.ResyncInterval].
// Its view only grows until entries expire, so an entry that Redis lost but
// the list had seen is still refused by that list.
//
// # Keys
//
// With the default prefix "{execauth}:" an operator sees, with redis-cli:
//
//	{execauth}:revoke:entries   hash: "jti:JTI" or "sub:SUB" -> "CUTOFF UNTIL"
//	                            (Unix seconds; CUTOFF is 0 for a jti)
//	{execauth}:revoke:changes   sorted set: the same fields, scored by the
//	                            sequence number of their last write
//	{execauth}:revoke:expiry    sorted set: the same fields, scored by UNTIL
//	{execauth}:revoke:seq       the last sequence number (INCR)
//	{execauth}:revoke:epoch     random text set by the first write; a new one
//	                            means the keys were lost
//	{execauth}:exchange:SUB     Unix second of SUB's first run exchange,
//	                            expiring with the record
//
// For example:
//
//	redis-cli HGETALL '{execauth}:revoke:entries'   # every revocation
//	redis-cli HGET '{execauth}:revoke:entries' 'sub:0195f3c4-...'
//	redis-cli ZCARD '{execauth}:revoke:changes'     # how many
//
// The hash tag "{execauth}" puts every key in one Cluster slot, so each
// script touches one node. Entries are purged by later writes once past
// UNTIL (up to 1000 per write); first-exchange keys expire by themselves.
// Write entries through this package or revoke.List only: a value that does
// not parse makes every list fail closed ([ErrMalformed]).
//
// # Durability
//
// Revocations must survive a Redis restart: run Redis with persistence,
// appendonly yes (AOF; appendfsync everysec loses at most about a second of
// writes on a crash, always loses none) or at least RDB snapshots, which
// lose the writes since the last one. Without persistence a restart loses
// every revocation for replicas started afterwards. Replication to Sentinel
// or Cluster replicas is asynchronous: a failover may lose the last writes,
// as it may for any Redis data.
//
// # Example
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	store, err := redisstore.New(redisstore.Config{Client: client})
//	list, err := revoke.NewList(ctx, revoke.Config{Store: store})
//	defer list.Close()
package redisstore
