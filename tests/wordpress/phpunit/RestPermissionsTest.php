<?php
/**
 * Who may call the plugin's REST routes: edit_post on that post, a valid X-WP-Nonce for
 * cookie sessions, and nothing for anonymous callers.
 */
class RestPermissionsTest extends CogVideoXTestCase {

	public function post_routes() {
		return array(
			'generate' => array( 'POST', 'generate' ),
			'job'      => array( 'GET', 'job' ),
			'cancel'   => array( 'POST', 'cancel' ),
			'featured' => array( 'POST', 'featured' ),
		);
	}

	/**
	 * @dataProvider post_routes
	 */
	public function test_anonymous_callers_get_401( $method, $route ) {
		$post = $this->new_post( 'author1' );
		$this->login( '' );
		$response = $this->rest( $method, "/posts/$post/$route", array( 'prompt' => 'x' ) );
		$this->assertSame( 401, $response->get_status() );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ), 'nothing was started' );
	}

	/**
	 * @dataProvider post_routes
	 */
	public function test_users_who_cannot_edit_the_post_get_403( $method, $route ) {
		$post = $this->new_post( 'author1' );
		foreach ( array( 'subscriber1', 'author2', 'contributor1' ) as $login ) {
			$this->login( $login );
			$response = $this->rest( $method, "/posts/$post/$route", array( 'prompt' => 'x' ) );
			$this->assertSame( 403, $response->get_status(), "$login on someone else's post" );
		}
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ), 'nothing was started' );
	}

	public function test_published_posts_of_others_stay_closed_to_authors() {
		$post = $this->new_post( 'author1', array( 'post_status' => 'publish' ) );
		$this->login( 'author2' );
		$this->assertSame( 403, $this->rest( 'GET', "/posts/$post/job" )->get_status() );
	}

	public function test_owner_and_editor_may_read_the_job() {
		$post = $this->new_post( 'author1' );
		$this->login( 'author1' );
		$response = $this->rest( 'GET', "/posts/$post/job" );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( $post, $response->get_data()['post_id'] );
		$this->assertArrayNotHasKey( 'token', $response->get_data() );

		$this->login( 'editor1' );
		$this->assertSame( 200, $this->rest( 'GET', "/posts/$post/job" )->get_status() );
	}

	public function test_unknown_posts_and_attachments_are_404_for_logged_in_users() {
		$this->login( 'editor1' );
		$this->assertSame( 404, $this->rest( 'GET', '/posts/999999/job' )->get_status() );
		$attachment = wp_insert_attachment( array( 'post_title' => 'file', 'post_mime_type' => 'image/jpeg', 'post_status' => 'inherit' ) );
		$this->created_posts[] = $attachment;
		$this->assertSame( 404, $this->rest( 'GET', "/posts/$attachment/job" )->get_status() );
	}

	public function test_templates_need_the_generation_capability() {
		$this->login( 'subscriber1' );
		$this->assertSame( 403, $this->rest( 'GET', '/templates' )->get_status() );
		$this->login( 'contributor1' );
		$this->assertSame( 403, $this->rest( 'GET', '/templates' )->get_status() );
		$this->login( 'author1' );
		$response = $this->rest( 'GET', '/templates' );
		$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$templates = array_column( $response->get_data(), null, 'slug' );
		$slug      = getenv( 'COGVIDEOX_TEST_TEMPLATE_SLUG' );
		$this->assertArrayHasKey( $slug, $templates, 'the service\'s template is listed' );
		$this->assertSame( 'News clip', $templates[ $slug ]['name'] );
		$this->assertSame( 'A short news-style shot of {subject}', $templates[ $slug ]['prompt'] );

		// The meta box offers it, with its text for the prompt field.
		$post = $this->new_post( 'author1' );
		ob_start();
		cogvideox()->render_meta_box( get_post( $post ) );
		$html = ob_get_clean();
		$this->assertStringContainsString( 'value="' . $slug . '" data-prompt="A short news-style shot of {subject}"', $html );
	}

	public function test_bad_input_is_refused_before_reaching_the_service() {
		$post = $this->new_post( 'author1' );
		$this->login( 'author1' );
		$response = $this->rest( 'POST', "/posts/$post/generate", array( 'prompt' => 'x', 'duration' => 99 ) );
		$this->assertSame( 400, $response->get_status() );
		$response = $this->rest( 'POST', "/posts/$post/generate", array( 'prompt' => 'x', 'resolution' => '100x33' ) );
		$this->assertSame( 400, $response->get_status() );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
	}

	public function test_cookie_sessions_need_the_rest_nonce_over_real_http() {
		$post    = $this->new_post( 'author1' );
		$session = $this->session_cookies( 'author1' );

		// Logged-in cookie but no nonce: WordPress treats the request as anonymous.
		$response = $this->http( 'GET', "/wp-json/cogvideox/v1/posts/$post/job", array( 'Cookie' => $session['cookie'] ) );
		$this->assertSame( 401, wp_remote_retrieve_response_code( $response ) );

		// A forged nonce is refused outright.
		$response = $this->http( 'GET', "/wp-json/cogvideox/v1/posts/$post/job", array( 'Cookie' => $session['cookie'], 'X-WP-Nonce' => 'abcdef1234' ) );
		$this->assertSame( 403, wp_remote_retrieve_response_code( $response ) );

		// Cookie + nonce: allowed.
		$response = $this->http( 'GET', "/wp-json/cogvideox/v1/posts/$post/job", array( 'Cookie' => $session['cookie'], 'X-WP-Nonce' => $session['nonce'] ) );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $response ), wp_remote_retrieve_body( $response ) );
		$body = json_decode( wp_remote_retrieve_body( $response ), true );
		$this->assertSame( $post, $body['post_id'] );
		$this->assertStringNotContainsString( self::api_token(), wp_remote_retrieve_body( $response ), 'the token never reaches the browser' );

		// Another author's valid session is still refused on this post.
		$other    = $this->session_cookies( 'author2' );
		$response = $this->http( 'GET', "/wp-json/cogvideox/v1/posts/$post/job", array( 'Cookie' => $other['cookie'], 'X-WP-Nonce' => $other['nonce'] ) );
		$this->assertSame( 403, wp_remote_retrieve_response_code( $response ) );
	}
}
