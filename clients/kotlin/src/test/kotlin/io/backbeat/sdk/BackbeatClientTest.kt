package io.backbeat.sdk

import backbeat.catalog.v1.Catalog
import backbeat.catalog.v1.getTrackRequest
import backbeat.catalog.v1.searchRequest
import backbeat.playlist.v1.addTracksRequest
import backbeat.playlist.v1.createPlaylistRequest
import backbeat.playlist.v1.getPlaylistRequest
import backbeat.playlist.v1.playlist
import backbeat.user.v1.UserOuterClass
import backbeat.user.v1.getMeRequest
import backbeat.user.v1.loginRequest
import backbeat.user.v1.refreshTokenRequest
import io.backbeat.sdk.LiveServer.ARTIST
import io.backbeat.sdk.LiveServer.LISTENER
import io.backbeat.sdk.LiveServer.PASSWORD
import io.backbeat.sdk.LiveServer.client
import io.backbeat.sdk.LiveServer.liveTest
import io.backbeat.sdk.LiveServer.uniqueName
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.EnumSource

class BackbeatClientTest {

    private suspend fun signedIn(
        username: String = LISTENER,
        protocol: Protocol = Protocol.CONNECT,
        wire: WireLog? = null,
    ): BackbeatClient = client(protocol, okHttpClient = wire?.okHttp()).also { it.login(username, PASSWORD) }

    @Test
    fun `login keeps the session and every call sends its access token`() = liveTest {
        val wire = WireLog()
        client(okHttpClient = wire.okHttp()).use { backbeat ->
            assertFalse(backbeat.isSignedIn)
            val login = backbeat.login(LISTENER, PASSWORD)
            assertEquals(LISTENER, login.user.username)
            assertEquals("Bearer", login.tokens.tokenType)
            assertTrue(login.user.rolesList.contains(UserOuterClass.Role.ROLE_LISTENER))
            val session = backbeat.tokens.load()!!
            assertEquals(login.tokens.accessToken, session.accessToken)
            assertEquals(login.tokens.refreshToken, session.refreshToken)

            val me = backbeat.users.getMe(getMeRequest {}).orThrow()
            assertEquals(login.user.id, me.user.id)
            assertEquals("demo@example.com", me.user.email)

            val loginCall = wire.exchanges.single { it.path.endsWith("/Login") }
            assertNull(loginCall.authorization, "Login is public: no token sent")
            val getMe = wire.exchanges.single { it.path.endsWith("/GetMe") }
            assertEquals("Bearer ${session.accessToken}", getMe.authorization)
            assertEquals(0, backbeat.refreshCount)
        }
    }

    @Test
    fun `wrong password is unauthenticated and does not try a refresh`() = liveTest {
        client().use { backbeat ->
            val e = assertThrows<BackbeatException.Unauthenticated> { backbeat.login(LISTENER, "not-the-password") }
            assertEquals("unauthenticated", e.codeName)
            assertFalse(backbeat.isSignedIn)
            assertEquals(0, backbeat.refreshCount)
        }
    }

    @Test
    fun `search finds the demo catalog, accent-insensitively`() = liveTest {
        signedIn().use { backbeat ->
            val response = backbeat.catalog.search(searchRequest { query = "lodz" }).orThrow()
            val names = response.resultsList.map { it.displayName() }
            assertTrue("Łódź Brass Ensemble" in names, "results: $names")
            val artist = response.resultsList.first { it.itemCase == Catalog.SearchResult.ItemCase.ARTIST }.artist
            assertEquals("Łódź Brass Ensemble", artist.name)
            assertEquals("Brass from Poland.", artist.bio)

            // Only tracks, through the paging helper: "Wiosna w Łodzi" folds to "lodzi".
            val tracks = backbeat.catalog
                .searchAll("lodz", types = listOf(Catalog.ItemType.ITEM_TYPE_TRACK), pageSize = 1)
                .toList()
            assertTrue(tracks.all { it.hasTrack() })
            assertTrue(tracks.any { it.track.title == "Wiosna w Łodzi" }, "tracks: ${tracks.map { it.displayName() }}")
        }
    }

    @Test
    fun `search answers the exact artist on top and a group per type`() = liveTest {
        signedIn().use { backbeat ->
            val response = backbeat.catalog.search(searchRequest { query = "daft pulse" }).orThrow()
            assertEquals(Catalog.SearchResult.ItemCase.ARTIST, response.topResult.itemCase)
            assertEquals("Daft Pulse", response.topResult.displayName())
            assertEquals(
                listOf(
                    Catalog.ItemType.ITEM_TYPE_ARTIST, Catalog.ItemType.ITEM_TYPE_ALBUM,
                    Catalog.ItemType.ITEM_TYPE_TRACK, Catalog.ItemType.ITEM_TYPE_PLAYLIST,
                ),
                response.groupsList.map { it.type },
            )
            val albums = response.group(Catalog.ItemType.ITEM_TYPE_ALBUM)!!.resultsList.map { it.displayName() }
            assertTrue(albums.containsAll(listOf("Random Access Dreams", "Discovery Channel")), "albums: $albums")

            // A typo still finds the artist; a public playlist is found by its name.
            val typo = backbeat.catalog.search(searchRequest { query = "beyonse" }).orThrow()
            assertEquals("Beyoncé Knowles-Ortiz", typo.topResult.displayName())
            val mix = backbeat.catalog
                .searchGroupAll("demo mix", Catalog.ItemType.ITEM_TYPE_PLAYLIST)
                .toList()
            assertEquals(listOf("Demo Mix"), mix.map { it.displayName() })

            // One group, page by page, is the group in one page.
            val whole = backbeat.catalog.search(
                searchRequest {
                    query = "daft pulse"
                    types.add(Catalog.ItemType.ITEM_TYPE_TRACK)
                    pageSize = 50
                },
            ).orThrow().group(Catalog.ItemType.ITEM_TYPE_TRACK)!!.resultsList.map { it.track.id }
            val paged = backbeat.catalog
                .searchGroupAll("daft pulse", Catalog.ItemType.ITEM_TYPE_TRACK, pageSize = 2)
                .toList()
                .map { it.track.id }
            assertTrue(whole.size > 2, "tracks: $whole")
            assertEquals(whole, paged)
        }
    }

    @Test
    fun `register creates a listener and signs it in`() = liveTest {
        client().use { backbeat ->
            val username = uniqueName("kt_")
            val registered = backbeat.register(username, "$username@example.com", "correct horse battery", "Kotlin Tester")
            assertEquals(username, registered.user.username)
            assertEquals("Kotlin Tester", registered.user.displayName)
            assertEquals(listOf(UserOuterClass.Role.ROLE_LISTENER), registered.user.rolesList)
            assertTrue(backbeat.isSignedIn)
            assertEquals(registered.user.id, backbeat.users.getMe(getMeRequest {}).orThrow().user.id)

            // The new account can sign in with its password from another client.
            client().use { other ->
                assertEquals(registered.user.id, other.login(username, "correct horse battery").user.id)
            }
            // And its name is taken now.
            val again = assertThrows<BackbeatException.AlreadyExists> {
                client().use { it.register(username, "other-$username@example.com", "correct horse battery") }
            }
            assertEquals("already_exists", again.codeName)
        }
    }

    @Test
    fun `playlist entries page by page through the paging helper`() = liveTest {
        signedIn().use { backbeat ->
            val tracks = backbeat.catalog.allTracks(pageSize = 3).take(7).map { it.id }.toList()
            assertEquals(7, tracks.size)

            val created = backbeat.playlists.createPlaylist(
                createPlaylistRequest { playlist = playlist { name = "Kotlin paging ${uniqueName("")}" } },
            ).orThrow().playlist
            assertFalse(created.public)

            val added = backbeat.playlists.addTracks(
                addTracksRequest {
                    playlistId = created.id
                    trackIds.addAll(tracks.take(4))
                },
            ).orThrow()
            assertEquals(4, added.entriesCount)
            // A repeat is a separate entry; position 0 puts the rest first.
            val front = backbeat.playlists.addTracks(
                addTracksRequest {
                    playlistId = created.id
                    trackIds.addAll(tracks.drop(4))
                    position = 0
                },
            ).orThrow()
            assertEquals(7, front.playlist.trackCount)
            val expected = tracks.drop(4) + tracks.take(4)

            val pages = pages(
                fetch = { token ->
                    backbeat.playlists.getPlaylist(getPlaylistRequest { playlistId = created.id; pageSize = 2; pageToken = token })
                },
                nextPageToken = { it.nextPageToken },
            ).toList()
            assertEquals(listOf(2, 2, 2, 1), pages.map { it.entriesCount })

            val entries = backbeat.playlists.entries(created.id, pageSize = 2).toList()
            assertEquals(expected, entries.map { it.trackId })
            assertEquals(7, entries.map { it.entryId }.toSet().size)
            assertTrue(entries.all { it.addedByUserId == created.ownerId })

            // take() stops fetching: one page of 3 is enough for 2 entries.
            assertEquals(expected.take(2), backbeat.playlists.entries(created.id, pageSize = 3).take(2).map { it.trackId }.toList())
        }
    }

    @Test
    fun `invalid input is invalid_argument naming the field`() = liveTest {
        client().use { backbeat ->
            val e = assertThrows<BackbeatException.InvalidArgument> {
                backbeat.register("x", "x@example.com", "correct horse battery")
            }
            assertEquals("invalid_argument", e.codeName)
            assertEquals("username", e.field)
            assertTrue(e.message.startsWith("username: "), e.message)
            assertTrue(e.violations.single().description.isNotEmpty())
        }
        signedIn().use { backbeat ->
            val e = assertThrows<BackbeatException.InvalidArgument> {
                backbeat.playlists.createPlaylist(createPlaylistRequest { playlist = playlist { name = "" } }).orThrow()
            }
            assertTrue(e.field!!.endsWith("name"), "field: ${e.field}")
        }
    }

    @Test
    fun `no token is unauthenticated`() = liveTest {
        client().use { backbeat ->
            val e = assertThrows<BackbeatException.Unauthenticated> {
                backbeat.catalog.search(searchRequest { query = "lodz" }).orThrow()
            }
            assertEquals("unauthenticated", e.codeName)
            assertNull(e.field)
            assertEquals(0, backbeat.refreshCount)
        }
    }

    @Test
    fun `another user's private playlist is not_found`() = liveTest {
        val mine = signedIn(LISTENER).use { listener ->
            listener.playlists.createPlaylist(
                createPlaylistRequest { playlist = playlist { name = "Private ${uniqueName("")}"; public = false } },
            ).orThrow().playlist
        }
        signedIn(ARTIST).use { artist ->
            val e = assertThrows<BackbeatException.NotFound> {
                artist.playlists.getPlaylist(getPlaylistRequest { playlistId = mine.id }).orThrow()
            }
            assertEquals("not_found", e.codeName)
            // The paging helper surfaces the same typed error.
            assertThrows<BackbeatException.NotFound> { artist.playlists.entries(mine.id).toList() }
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol::class)
    fun `a rejected access token is refreshed once and the call retried`(protocol: Protocol) = liveTest {
        val session = client(protocol).use { it.login(LISTENER, PASSWORD).tokens }
        val wire = WireLog()
        val tokens = InMemoryTokenStore(AuthTokens("not-a-valid-access-token", session.refreshToken))
        client(protocol, tokens, wire.okHttp()).use { backbeat ->
            val me = backbeat.users.getMe(getMeRequest {}).orThrow()
            assertEquals(LISTENER, me.user.username)
            assertEquals(1, backbeat.refreshCount)

            val fresh = tokens.load()!!
            assertNotEquals("not-a-valid-access-token", fresh.accessToken)
            assertNotEquals(session.refreshToken, fresh.refreshToken, "refresh tokens rotate")
            assertEquals(
                listOf("GetMe" to "Bearer not-a-valid-access-token", "RefreshToken" to null, "GetMe" to "Bearer ${fresh.accessToken}"),
                wire.exchanges.map { it.path.substringAfterLast('/') to it.authorization },
            )
            // The old refresh token was used up by the rotation.
            val reuse = assertThrows<BackbeatException.Unauthenticated> {
                backbeat.users.refreshToken(refreshTokenRequest { refreshToken = session.refreshToken }).orThrow()
            }
            assertEquals("unauthenticated", reuse.codeName)
            // Later calls use the new token without refreshing again.
            backbeat.catalog.getTrack(getTrackRequest { trackId = firstTrackId(backbeat) }).orThrow()
            assertEquals(1, backbeat.refreshCount)
        }
    }

    @Test
    fun `concurrent calls with an expired token share one refresh`() = liveTest {
        val session = client().use { it.login(LISTENER, PASSWORD).tokens }
        val tokens = InMemoryTokenStore(AuthTokens("expired-or-garbage", session.refreshToken))
        client(Protocol.GRPC, tokens).use { backbeat ->
            val users = coroutineScope {
                (1..8).map { async { backbeat.users.getMe(getMeRequest {}).orThrow().user.username } }.awaitAll()
            }
            assertEquals(List(8) { LISTENER }, users)
            assertEquals(1, backbeat.refreshCount)
        }
    }

    @Test
    fun `a refused refresh token ends the session with unauthenticated`() = liveTest {
        val tokens = InMemoryTokenStore(AuthTokens("garbage", "also-garbage"))
        client(tokens = tokens).use { backbeat ->
            val e = assertThrows<BackbeatException.Unauthenticated> {
                backbeat.users.getMe(getMeRequest {}).orThrow()
            }
            assertEquals("unauthenticated", e.codeName)
            assertEquals(1, backbeat.refreshCount)
            assertNull(tokens.load(), "the dead session is forgotten")
            assertFalse(backbeat.isSignedIn)
        }
    }

    @Test
    fun `a closed client fails a call that needs a refresh instead of hanging`() = liveTest {
        val session = client().use { it.login(LISTENER, PASSWORD).tokens }
        val tokens = InMemoryTokenStore(AuthTokens("garbage", session.refreshToken))
        val backbeat = client(tokens = tokens)
        backbeat.close()
        val started = System.nanoTime()
        assertThrows<BackbeatException.Unauthenticated> { backbeat.users.getMe(getMeRequest {}).orThrow() }
        assertTrue(System.nanoTime() - started < 5_000_000_000L, "answered promptly")
        assertEquals(session.refreshToken, tokens.load()!!.refreshToken, "the session is kept for a new client")
    }

    @Test
    fun `gRPC runs over HTTP 2 and Connect over HTTP 1_1, with the same results and typed errors`() = liveTest {
        val grpcWire = WireLog()
        val connectWire = WireLog()
        val grpc = signedIn(protocol = Protocol.GRPC, wire = grpcWire)
        val connect = signedIn(protocol = Protocol.CONNECT, wire = connectWire)
        grpc.use {
            connect.use {
                val viaGrpc = grpc.catalog.search(searchRequest { query = "lodz" }).orThrow()
                val viaConnect = connect.catalog.search(searchRequest { query = "lodz" }).orThrow()
                assertEquals(viaConnect.resultsList.map { it.displayName() }, viaGrpc.resultsList.map { it.displayName() })
                assertTrue(viaGrpc.resultsList.any { it.displayName() == "Łódź Brass Ensemble" })

                assertEquals(setOf(okhttp3.Protocol.H2_PRIOR_KNOWLEDGE), grpcWire.exchanges.map { it.protocol }.toSet())
                assertEquals(setOf(okhttp3.Protocol.HTTP_1_1), connectWire.exchanges.map { it.protocol }.toSet())

                // Error details travel in grpc-status-details-bin over gRPC.
                val e = assertThrows<BackbeatException.InvalidArgument> {
                    grpc.playlists.createPlaylist(createPlaylistRequest { playlist = playlist { name = "" } }).orThrow()
                }
                assertTrue(e.field!!.endsWith("name"), "field: ${e.field}")
                assertThrows<BackbeatException.Unauthenticated> {
                    client(Protocol.GRPC).use { it.catalog.search(searchRequest { query = "x" }).orThrow() }
                }
            }
        }
    }

    @Test
    fun `logout revokes the refresh token and forgets the session`() = liveTest {
        client().use { backbeat ->
            val refresh = backbeat.login(LISTENER, PASSWORD).tokens.refreshToken
            backbeat.logout()
            assertFalse(backbeat.isSignedIn)
            assertThrows<BackbeatException.Unauthenticated> {
                backbeat.users.refreshToken(refreshTokenRequest { refreshToken = refresh }).orThrow()
            }
            assertThrows<BackbeatException.Unauthenticated> { backbeat.users.getMe(getMeRequest {}).orThrow() }
        }
    }

    @Test
    fun `generated clients can be used directly, with ResponseMessage`() = liveTest {
        client().use { backbeat ->
            val response = backbeat.users.login(loginRequest { login = LISTENER; password = PASSWORD })
            assertTrue(response is com.connectrpc.ResponseMessage.Success)
            val failure = backbeat.users.login(loginRequest { login = LISTENER; password = "nope" })
            assertTrue(failure is com.connectrpc.ResponseMessage.Failure)
            assertEquals(com.connectrpc.Code.UNAUTHENTICATED, (failure as com.connectrpc.ResponseMessage.Failure).cause.code)
        }
    }

    private suspend fun firstTrackId(backbeat: BackbeatClient): String =
        backbeat.catalog.allTracks(pageSize = 1).take(1).toList().single().id
}

internal fun Catalog.SearchResult.displayName(): String = when (itemCase) {
    Catalog.SearchResult.ItemCase.TRACK -> track.title
    Catalog.SearchResult.ItemCase.ALBUM -> album.title
    Catalog.SearchResult.ItemCase.ARTIST -> artist.name
    Catalog.SearchResult.ItemCase.PLAYLIST -> playlist.name
    else -> ""
}
