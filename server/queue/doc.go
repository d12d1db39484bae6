// Package queue is Backbeat's message broker adapter, on NATS JetStream. It
// implements domain.JobQueue (transcode jobs), domain.CleanupQueue (media
// cleanup jobs) and domain.PlayEventLog (play events), and runs the workers.
//
// # Why JetStream
//
// Transcode jobs must survive a crash, reach exactly one worker among all
// replicas, come back when their worker dies, and be retried with a delay
// when they fail. A JetStream stream with work-queue retention gives all of
// that with one durable pull consumer: the stream stores each job until it
// is acknowledged (file storage, replicated on a cluster), and the consumer
// hands each job to one puller at a time, redelivering it when no ack comes.
// The same server keeps the play event log, an append-only stream that
// analytics can replay. NATS embeds in the Go binary, so a single-node
// deployment needs no extra process, and a larger one points every replica
// at a NATS cluster without code changes.
//
// # Streams and consumer
//
//   - BACKBEAT_JOBS, subjects backbeat.jobs.> (transcode jobs on
//     backbeat.jobs.transcode): work-queue retention, file storage,
//     Config.Replicas replicas, 10-minute dedupe window.
//   - BACKBEAT_PLAYS, subjects backbeat.plays.<user>: limits retention,
//     Config.PlayRetention max age (30 days by default), file storage,
//     Config.Replicas replicas, 5-minute dedupe window.
//   - transcoders: the one durable pull consumer of transcode jobs, shared by
//     every replica: explicit ack, ConsumeConfig.AckWait and MaxDeliver.
//   - transcoders-urgent: the same for backbeat.jobs.transcode-urgent, the
//     jobs of tracks someone tried to play before their ladder was ready
//     (EnqueueUrgentTranscode, message id "urgent-"+UploadID). Each worker
//     takes from it first and waits on the bulk consumer at most a second
//     at a time, so an urgent job waits for at most one running job.
//     TranscodeDepth counts both.
//   - cleaners: the same for media cleanup jobs (backbeat.jobs.cleanup).
//     A cleanup job carries the time it is due. A worker that takes it
//     earlier naks it with the remaining delay, so it waits in the stream,
//     not in a process that may die. That works on any JetStream server;
//     scheduled messages need a newer server than deployments may run.
//
// Open creates or updates the streams, and ConsumeTranscodes and
// ConsumeCleanups their consumers, so every replica may call them at start.
//
// # Dedupe
//
// A job's UploadID is its Nats-Msg-Id: a retried EnqueueTranscode within the
// dedupe window, even after the job ran, stores no second job. A play event's
// id is user, playback id, type, position and time, so a client retrying a
// batch does not double it. Consumers of the play log should still tolerate
// duplicates older than the window.
//
// # Acks, heartbeats, retries
//
// Each worker pulls one job only when it is free, so a replica holds at most
// ConsumeConfig.Concurrency jobs and none waits in a busy replica's buffer.
// While the handler runs the worker sends an in-progress heartbeat every
// AckWait/3, so AckWait bounds how long a dead worker's job waits before
// another worker gets it, not how long a transcode may take. Then:
//
//   - success: the ack is sent and its receipt awaited (a double ack);
//   - Permanent(err), or any error on the last attempt (MaxDeliver): the job
//     is terminated, and the handler, told last=true, records the failure;
//   - other errors: a nak with the backoff delay of that attempt;
//   - a handler interrupted by shutdown: a nak without delay, so another
//     replica takes the job at once.
//
// Retry delays are given with each nak rather than as the consumer's BackOff,
// because JetStream uses BackOff in place of AckWait as each attempt's ack
// deadline, which would tie crash detection to the retry schedule. Delivery
// is at least once (a lost ack, or a worker stalled past AckWait, runs a job
// again), so handlers are idempotent. A job whose last attempt dies with its
// process stays in the stream undelivered; JetStream publishes a
// max-deliveries advisory for it.
//
// # Deployment
//
//   - Single node: leave URL empty and set StoreDir (e.g. <data-dir>/nats);
//     the embedded server opens no port and streams, pending jobs and consumer
//     state persist there across restarts.
//   - A few replicas sharing one embedded server: one replica sets Listen
//     (host:port with the host named, reachable by the others only), User
//     and Password (required: the server refuses every client without them)
//     and optionally TLSCert and TLSKey; the others set URL to it with the
//     same User and Password (and TLSCA to trust its certificate). That
//     replica is then a single point of failure for the queue.
//   - Production: URL lists seeds of a NATS cluster with JetStream (three
//     nodes or more), Replicas 3; credentials go in User and Password or in
//     the URL, TLSCA names the cluster's CA when it is not a public one.
//
// Every replica should use the same ConsumeConfig: the last to start sets the
// shared consumer's AckWait and MaxDeliver.
package queue
