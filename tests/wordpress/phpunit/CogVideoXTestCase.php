<?php
/**
 * Shared helpers: users, posts, REST calls (in-process and over real HTTP), the live service.
 */

use PHPUnit\Framework\TestCase;

abstract class CogVideoXTestCase extends TestCase {

	/** Tiny generation parameters: the service runs the tiny random model in tests. */
	const TINY = array(
		'duration'        => 1,
		'resolution'      => '64x64',
		'enhance_quality' => false,
	);

	/** @var int[] Posts created by the test, deleted afterwards. */
	protected $created_posts = array();

	protected function setUp(): void {
		parent::setUp();
		// Other processes (php -S, separate-process tests) write to the same database.
		wp_cache_flush();
		wp_set_current_user( 0 );
		$_POST    = array();
		$_REQUEST = array();
		delete_option( 'cogvideox_defaults' );
		delete_transient( 'cogvideox_templates' );
		delete_transient( 'cogvideox_templates_error' );
		$this->configure( self::api_url(), self::api_token(), '' );
	}

	protected function tearDown(): void {
		wp_set_current_user( 0 );
		$_POST    = array();
		$_REQUEST = array();
		foreach ( $this->created_posts as $id ) {
			wp_delete_post( $id, true );
		}
		parent::tearDown();
	}

	/* -- environment ---------------------------------------------------------------- */

	public static function api_url() {
		return rtrim( getenv( 'COGVIDEOX_TEST_API_URL' ), '/' );
	}

	public static function api_token() {
		return getenv( 'COGVIDEOX_TEST_API_TOKEN' );
	}

	public static function env( $name, $default = '' ) {
		$value = getenv( $name );
		return false === $value ? $default : $value;
	}

	public static function tiny( array $extra = array() ) {
		$tiny = self::TINY;
		if ( getenv( 'COGVIDEOX_TEST_RESOLUTION' ) ) {
			$tiny['resolution'] = getenv( 'COGVIDEOX_TEST_RESOLUTION' );
		}
		return array_merge( $tiny, $extra );
	}

	protected function configure( $url, $token, $secret ) {
		update_option( 'cogvideox_api_url', $url );
		// The token and secret fields are write-only: an empty update keeps the saved value.
		foreach ( array( 'cogvideox_api_token' => $token, 'cogvideox_webhook_secret' => $secret ) as $option => $value ) {
			if ( '' === $value ) {
				delete_option( $option );
			} else {
				update_option( $option, $value );
			}
		}
		cogvideox()->refresh_settings();
	}

	/* -- users and posts -------------------------------------------------------------- */

	protected function user_id( $login ) {
		$user = get_user_by( 'login', $login );
		$this->assertNotFalse( $user, "test user $login exists" );
		return (int) $user->ID;
	}

	protected function login( $login ) {
		$id = $login ? $this->user_id( $login ) : 0;
		wp_set_current_user( $id );
		return $id;
	}

	protected function new_post( $author_login, array $args = array() ) {
		$id = wp_insert_post(
			array_merge(
				array(
					'post_title'   => 'A lighthouse at dawn',
					'post_excerpt' => 'Waves roll in slowly',
					'post_content' => 'Body.',
					'post_status'  => 'draft',
					'post_author'  => $this->user_id( $author_login ),
				),
				$args
			),
			true
		);
		$this->assertIsInt( $id );
		$this->created_posts[] = $id;
		return $id;
	}

	/** Post meta read straight from the database (another process may have written it). */
	protected function fresh_meta( $post_id, $key ) {
		wp_cache_delete( $post_id, 'post_meta' );
		return get_post_meta( $post_id, $key, true );
	}

	/* -- REST ---------------------------------------------------------------------- */

	/** In-process REST request through the real WP_REST_Server. */
	protected function rest( $method, $route, array $params = array() ) {
		$request = new WP_REST_Request( $method, '/cogvideox/v1' . $route );
		if ( 'GET' === $method ) {
			$request->set_query_params( $params );
		} else {
			$request->set_header( 'Content-Type', 'application/json' );
			$request->set_body( wp_json_encode( $params ) );
		}
		return rest_get_server()->dispatch( $request );
	}

	/** A real HTTP request to the php -S server running the site. */
	protected function http( $method, $path, array $headers = array(), $body = null ) {
		$args = array(
			'method'  => $method,
			'headers' => $headers,
			'timeout' => 60,
		);
		if ( null !== $body ) {
			$args['body'] = $body;
		}
		$response = wp_remote_request( rtrim( getenv( 'COGVIDEOX_WP_URL' ), '/' ) . $path, $args );
		$this->assertNotWPError( $response );
		return $response;
	}

	/**
	 * Cookies for a logged-in session of $login, as a browser would hold them, with the REST
	 * nonce and the nonces of $actions (admin forms) for that session.
	 */
	protected function session_cookies( $login, array $actions = array() ) {
		$user_id    = $this->user_id( $login );
		$expiration = time() + HOUR_IN_SECONDS;
		$manager    = WP_Session_Tokens::get_instance( $user_id );
		$token      = $manager->create( $expiration );
		$logged_in  = wp_generate_auth_cookie( $user_id, $expiration, 'logged_in', $token );
		$auth       = wp_generate_auth_cookie( $user_id, $expiration, 'auth', $token );
		// The REST nonce is bound to the session token of the logged-in cookie.
		$_COOKIE[ LOGGED_IN_COOKIE ] = $logged_in;
		wp_set_current_user( $user_id );
		$nonce  = wp_create_nonce( 'wp_rest' );
		$nonces = array();
		foreach ( $actions as $action ) {
			$nonces[ $action ] = wp_create_nonce( $action );
		}
		unset( $_COOKIE[ LOGGED_IN_COOKIE ] );
		wp_set_current_user( 0 );
		return array(
			'cookie' => LOGGED_IN_COOKIE . '=' . rawurlencode( $logged_in ) . '; ' . AUTH_COOKIE . '=' . rawurlencode( $auth ),
			'nonce'  => $nonce,
			'nonces' => $nonces,
		);
	}

	/* -- the live service --------------------------------------------------------------- */

	/** Direct call to the Django service (for checking what happened there). */
	protected function service( $method, $path, $body = null, $token = null ) {
		$args = array(
			'method'  => $method,
			'timeout' => 30,
			'headers' => array( 'Authorization' => 'Bearer ' . ( $token ? $token : self::api_token() ) ),
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json';
			$args['body']                    = wp_json_encode( $body );
		}
		$response = wp_remote_request( self::api_url() . $path, $args );
		$this->assertNotWPError( $response );
		return array(
			'code' => (int) wp_remote_retrieve_response_code( $response ),
			'body' => json_decode( wp_remote_retrieve_body( $response ), true ),
		);
	}

	/** Cancel a job on the service so the worker is free for the next test. */
	protected function cancel_on_service( $task_id ) {
		$this->service( 'POST', '/api/cancel/' . rawurlencode( $task_id ), array() );
	}

	/**
	 * Run WP-Cron's due events the way a system cron does on a site with DISABLE_WP_CRON:
	 * a real request to wp-cron.php on the php -S server.
	 */
	protected function run_cron() {
		delete_transient( 'doing_cron' );
		$response = $this->http( 'GET', '/wp-cron.php' );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $response ) );
		wp_cache_flush();
	}

	/** Poll until $probe returns something truthy. */
	protected function wait_for( callable $probe, $timeout, $what ) {
		$deadline = microtime( true ) + $timeout;
		do {
			$value = $probe();
			if ( $value ) {
				return $value;
			}
			usleep( 300000 );
		} while ( microtime( true ) < $deadline );
		$this->fail( "timed out after {$timeout}s waiting for: $what" );
	}

	protected function wait_for_service_status( $task_id, array $statuses, $timeout = 150 ) {
		$last = null;
		return $this->wait_for(
			function () use ( $task_id, $statuses, &$last ) {
				$answer = $this->service( 'GET', '/api/status/' . rawurlencode( $task_id ) );
				$last   = $answer['body'];
				return in_array( $answer['body']['status'], $statuses, true ) ? $answer['body'] : false;
			},
			$timeout,
			"service job $task_id to reach " . implode( '/', $statuses )
		);
	}

	/* -- webhooks ---------------------------------------------------------------------- */

	protected function signed_headers( $secret, $body, $id = null, $timestamp = null ) {
		$id        = $id ? $id : 'msg_' . wp_generate_uuid4();
		$timestamp = null === $timestamp ? time() : $timestamp;
		$key       = 0 === strpos( $secret, 'whsec_' ) ? base64_decode( substr( $secret, 6 ) ) : $secret;
		return array(
			'Content-Type'      => 'application/json',
			'webhook-id'        => $id,
			'webhook-timestamp' => (string) $timestamp,
			'webhook-signature' => 'v1,' . base64_encode( hash_hmac( 'sha256', $id . '.' . $timestamp . '.' . $body, $key, true ) ),
		);
	}

	/* -- assertions -------------------------------------------------------------------- */

	public function assertNotWPError( $thing, $message = '' ) {
		$this->assertFalse( is_wp_error( $thing ), $message . ( is_wp_error( $thing ) ? ' WP_Error: ' . $thing->get_error_message() : '' ) );
	}

	/** Videos imported for a task (the exactly-once check). */
	protected function attachments_for_task( $task_id, $kind = 'video' ) {
		global $wpdb;
		return array_map(
			'intval',
			$wpdb->get_col(
				$wpdb->prepare(
					"SELECT p.ID FROM {$wpdb->posts} p
					 JOIN {$wpdb->postmeta} t ON t.post_id = p.ID AND t.meta_key = '_cogvideox_source_task' AND t.meta_value = %s
					 JOIN {$wpdb->postmeta} k ON k.post_id = p.ID AND k.meta_key = '_cogvideox_source_kind' AND k.meta_value = %s
					 WHERE p.post_type = 'attachment'",
					$task_id,
					$kind
				)
			)
		);
	}

	/** Everything a finished import must satisfy. */
	protected function assertImported( $post_id, $task_id, $via ) {
		wp_cache_flush();
		$video = (int) $this->fresh_meta( $post_id, '_cogvideox_attachment_id' );
		$this->assertGreaterThan( 0, $video, 'the post records its video attachment' );
		$this->assertSame( array( $video ), $this->attachments_for_task( $task_id ), 'exactly one video attachment for the task' );
		$attachment = get_post( $video );
		$this->assertSame( 'attachment', $attachment->post_type );
		$this->assertSame( 'video/mp4', $attachment->post_mime_type );
		$this->assertSame( (int) $post_id, (int) $attachment->post_parent, 'attached to the post' );
		$file = get_attached_file( $video );
		$this->assertFileExists( $file );
		$this->assertGreaterThan( 0, filesize( $file ) );
		$this->assertSame( 'ftyp', substr( file_get_contents( $file, false, null, 4, 4 ), 0, 4 ), 'the file is an MP4' );

		$poster = (int) get_post_thumbnail_id( $video );
		$this->assertGreaterThan( 0, $poster, 'the poster is the video\'s cover image' );
		$this->assertSame( 'image/jpeg', get_post_mime_type( $poster ) );
		$this->assertSame( (int) $post_id, (int) get_post( $poster )->post_parent );
		$this->assertSame( $poster, (int) $this->fresh_meta( $post_id, '_cogvideox_poster_id' ) );
		$this->assertGreaterThan( 0, filesize( get_attached_file( $poster ) ) );
		$this->assertSame( $via, $this->fresh_meta( $post_id, '_cogvideox_imported_via' ) );
		return $video;
	}
}
