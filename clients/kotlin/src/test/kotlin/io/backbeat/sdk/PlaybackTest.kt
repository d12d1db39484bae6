package io.backbeat.sdk

import backbeat.catalog.v1.Catalog
import backbeat.catalog.v1.batchGetTracksRequest
import backbeat.catalog.v1.getTrackRequest
import backbeat.playback.v1.Playback
import backbeat.playback.v1.playbackContext
import backbeat.playback.v1.playbackEvent
import backbeat.playback.v1.reportPlaybackRequest
import backbeat.playback.v1.startPlaybackRequest
import backbeat.playlist.v1.PlaylistOuterClass
import com.google.protobuf.Timestamp
import io.backbeat.sdk.LiveServer.LISTENER
import io.backbeat.sdk.LiveServer.PASSWORD
import io.backbeat.sdk.LiveServer.client
import io.backbeat.sdk.LiveServer.liveTest
import io.backbeat.sdk.LiveServer.uniqueName
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.withContext
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.Response
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Instant
import java.time.temporal.ChronoUnit
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

/**
 * Playback against the demo data: a freshly registered listener plays tracks
 * of the public "Demo Mix" playlist (owned by the demo listener, with 12-second
 * generated audio), fetches their media from the signed URLs, reports events,
 * and sees its listening history and the tracks' play counts.
 */
class PlaybackTest {
    private val http = OkHttpClient()

    private suspend fun freshListener(): BackbeatClient = client().also {
        val name = uniqueName("kt_play_")
        it.register(name, "$name@example.com", "correct horse battery")
    }

    /** "Demo Mix", found as any listener would: among the demo user's public playlists. */
    private suspend fun demoMix(backbeat: BackbeatClient): PlaylistOuterClass.Playlist {
        // A listener cannot list users; the demo user's id comes from its own session.
        val demoId = client().use { it.login(LISTENER, PASSWORD).user.id }
        val mix = backbeat.playlists.allPlaylists(userId = demoId).toList().single { it.name == "Demo Mix" }
        assertTrue(mix.public)
        assertEquals(demoId, mix.ownerId)
        return mix
    }

    /**
     * The mix's tracks, in playlist order, once at least [want] of them are
     * READY: the demo audio is generated and transcoded after the server
     * starts, and StartPlayback answers failed_precondition until then.
     */
    private suspend fun readyTracks(backbeat: BackbeatClient, mixId: String, want: Int): List<Catalog.Track> {
        val ids = backbeat.playlists.entries(mixId).map { it.trackId }.toList()
        assertEquals(6, ids.size, "Demo Mix tracks: $ids")
        val deadline = TimeSource.Monotonic.markNow() + 2.minutes
        while (true) {
            val tracks = backbeat.catalog.batchGetTracks(batchGetTracksRequest { trackIds.addAll(ids) }).orThrow().tracksList
            val ready = ids.mapNotNull { id -> tracks.firstOrNull { it.id == id && it.status == Catalog.TrackStatus.TRACK_STATUS_READY } }
            if (ready.size >= want) return ready
            check(tracks.none { it.status == Catalog.TrackStatus.TRACK_STATUS_FAILED }) {
                "demo audio failed: ${tracks.filter { it.status == Catalog.TrackStatus.TRACK_STATUS_FAILED }.map { it.statusReason }}"
            }
            check(deadline.hasNotPassedNow()) { "Demo Mix tracks not READY after 2 minutes: ${tracks.map { it.status }}" }
            delay(500)
        }
    }

    private suspend fun playCount(backbeat: BackbeatClient, trackId: String): Long =
        backbeat.catalog.getTrack(getTrackRequest { this.trackId = trackId }).orThrow().track.playCount

    private suspend fun get(url: String, range: String? = null): Response = withContext(Dispatchers.IO) {
        val request = Request.Builder().url(url).apply { if (range != null) header("Range", range) }.build()
        http.newCall(request).execute()
    }

    private fun timestamp(at: Instant): Timestamp =
        Timestamp.newBuilder().setSeconds(at.epochSecond).setNanos(at.nano).build()

    private suspend fun report(backbeat: BackbeatClient, vararg events: Playback.PlaybackEvent) {
        backbeat.playback.reportPlayback(reportPlaybackRequest { this.events.addAll(events.toList()) }).orThrow()
    }

    private fun event(
        start: Playback.StartPlaybackResponse,
        type: Playback.EventType,
        positionMs: Long,
        at: Instant,
    ): Playback.PlaybackEvent = playbackEvent {
        playbackId = start.playbackId
        trackId = start.trackId
        this.type = type
        this.positionMs = positionMs
        deviceId = DEVICE
        occurTime = timestamp(at)
    }

    @Test
    fun `a new listener plays Demo Mix tracks, streams their media and is counted once`() = liveTest {
        freshListener().use { backbeat ->
            val mix = demoMix(backbeat)
            val (first, second) = readyTracks(backbeat, mix.id, want = 2)
            val countBefore = playCount(backbeat, first.id)
            val secondCountBefore = playCount(backbeat, second.id)

            // Start the first track from its place in the playlist.
            val startedMark = TimeSource.Monotonic.markNow()
            val start = backbeat.playback.startPlayback(
                startPlaybackRequest {
                    trackId = first.id
                    context = playbackContext { playlistId = mix.id }
                    deviceId = DEVICE
                },
            ).orThrow()
            assertEquals(first.id, start.trackId)
            assertEquals(26, start.playbackId.length, "playback id: ${start.playbackId}")
            assertTrue(start.durationMs in 11_000..13_000, "duration of the 12 s demo tune: ${start.durationMs} ms")
            assertEquals(0, start.positionMs)
            // A READY track plays its ladder.
            assertEquals(Playback.StreamKind.STREAM_KIND_LADDER, start.streamKind)
            assertTrue(start.ladderReady)
            assertTrue(start.loudness.integratedLufs < 0, "loudness: ${start.loudness}")
            assertTrue(start.expireTime.seconds > Instant.now().epochSecond, "expires ${start.expireTime}")
            for (url in listOf(start.hlsUrl, start.dashUrl, start.progressiveUrl)) {
                assertTrue(url.startsWith("http://") || url.startsWith("https://"), url)
            }

            // HLS: a master playlist with the three-rung ladder, whose variants resolve against it.
            get(start.hlsUrl).use { res ->
                assertEquals(200, res.code)
                val m3u8 = res.body.string()
                val lines = m3u8.lines().map { it.trim() }
                assertEquals("#EXTM3U", lines.first(), m3u8)
                val infs = lines.indices.filter { lines[it].startsWith("#EXT-X-STREAM-INF:") }
                assertEquals(3, infs.size, m3u8)
                assertTrue(infs.all { lines[it].contains("BANDWIDTH=") }, m3u8)
                val variant = res.request.url.resolve(lines[infs.first() + 1])!!
                get(variant.toString()).use { v ->
                    assertEquals(200, v.code, "variant $variant")
                    val media = v.body.string()
                    assertTrue(media.startsWith("#EXTM3U") && "#EXTINF:" in media, media)
                }
            }
            get(start.dashUrl).use { res ->
                assertEquals(200, res.code)
                assertTrue("<MPD" in res.body.string())
            }

            // Progressive: one file, served in ranges (how players seek).
            get(start.progressiveUrl, range = "bytes=0-1023").use { res ->
                assertEquals(206, res.code, "Partial Content")
                assertEquals("audio/mp4", res.header("Content-Type"))
                val contentRange = res.header("Content-Range")!!
                assertTrue(contentRange.startsWith("bytes 0-1023/"), contentRange)
                assertTrue(contentRange.substringAfter('/').toLong() > 1024, contentRange)
                val bytes = res.body.bytes()
                assertEquals(1024, bytes.size)
                assertEquals("ftyp", String(bytes, 4, 4, Charsets.US_ASCII), "an MP4 file starts with its ftyp box")
            }

            // START then END: the play counts once, however often END is reported.
            // The server counts only listening its own clock allows since
            // StartPlayback, so the player "plays" the whole track first.
            delay(start.durationMs.milliseconds - startedMark.elapsedNow())
            // Millisecond times: what every store keeps exactly.
            val startedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(20)
            report(
                backbeat,
                event(start, Playback.EventType.EVENT_TYPE_START, 0, startedAt),
                event(start, Playback.EventType.EVENT_TYPE_END, start.durationMs, startedAt.plusMillis(start.durationMs)),
            )
            assertEquals(countBefore + 1, playCount(backbeat, first.id))
            report(backbeat, event(start, Playback.EventType.EVENT_TYPE_END, start.durationMs, startedAt.plusMillis(start.durationMs)))
            report(backbeat, event(start, Playback.EventType.EVENT_TYPE_END, start.durationMs, Instant.now()))
            assertEquals(countBefore + 1, playCount(backbeat, first.id), "END reported again: still one play")

            // A later play of the second track, stopped after 5 s: in the history, not counted.
            val next = backbeat.playback.startPlayback(startPlaybackRequest { trackId = second.id; deviceId = DEVICE }).orThrow()
            assertEquals(second.id, next.trackId)
            val nextAt = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(6)
            report(
                backbeat,
                event(next, Playback.EventType.EVENT_TYPE_START, 0, nextAt),
                event(next, Playback.EventType.EVENT_TYPE_PROGRESS, 5_000, nextAt.plusSeconds(5)),
            )
            assertEquals(secondCountBefore, playCount(backbeat, second.id), "5 s is short of the 30-second rule")

            // The history, newest first, one item per play, page by page.
            val history = backbeat.playback.recentlyPlayed(pageSize = 1).toList()
            assertEquals(listOf(second.id, first.id), history.map { it.trackId })
            assertEquals(listOf(DEVICE, DEVICE), history.map { it.deviceId })
            assertEquals(timestamp(nextAt), history[0].playTime)
            assertEquals(timestamp(startedAt), history[1].playTime)
        }
    }

    @Test
    fun `playPlaylist plays the track at an index in the playlist's context, playAlbum an unknown album is NotFound`() = liveTest {
        freshListener().use { backbeat ->
            val mix = demoMix(backbeat)
            val ready = readyTracks(backbeat, mix.id, 2)
            val ids = backbeat.playlists.entries(mix.id).map { it.trackId }.toList()
            val index = ids.indexOf(ready[1].id)
            val play = backbeat.playPlaylist(mix.id, index = index, deviceId = DEVICE)
            assertEquals(ready[1].id, play.trackId)
            assertTrue(play.hlsUrl.isNotEmpty())
            val e = assertThrows<BackbeatException.NotFound> { backbeat.playAlbum(UNKNOWN_ID) }
            assertEquals("not_found", e.codeName)
        }
    }

    @Test
    fun `StartPlayback for an unknown track is NotFound`() = liveTest {
        freshListener().use { backbeat ->
            val e = assertThrows<BackbeatException.NotFound> {
                backbeat.playback.startPlayback(startPlaybackRequest { trackId = UNKNOWN_ID }).orThrow()
            }
            assertEquals("not_found", e.codeName)
        }
    }

    @Test
    fun `StartPlayback with a malformed track id is invalid_argument on track_id`() = liveTest {
        freshListener().use { backbeat ->
            val e = assertThrows<BackbeatException.InvalidArgument> {
                backbeat.playback.startPlayback(startPlaybackRequest { trackId = "not-a-track-id" }).orThrow()
            }
            assertEquals("invalid_argument", e.codeName)
            assertEquals("track_id", e.field)
            assertTrue(e.message.startsWith("track_id"), e.message)
        }
    }

    private companion object {
        const val DEVICE = "kotlin-sdk-test"

        // Well-formed (26 characters of Backbeat's base32), but no such track.
        const val UNKNOWN_ID = "01hzzzzzzzzzzzzzzzzzzzzzzz"
    }
}
