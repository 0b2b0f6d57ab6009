<?php
/**
 * `wp cogvideox ...` generates, follows and imports a video; the post's job state is in the
 * standard REST API (the `cogvideox` field of /wp/v2/posts).
 */
require_once __DIR__ . '/wp-cli-stand-in.php';

class CliAndRestFieldTest extends CogVideoXTestCase {

	protected function setUp(): void {
		parent::setUp();
		WP_CLI::$output = array();
	}

	private function cli( $method, array $args = array(), array $assoc = array() ) {
		$command = new CogVideoX_CLI();
		try {
			$command->$method( $args, $assoc );
			return true;
		} catch ( CogVideoX_Test_CLI_Exit $exit ) {
			return false;
		}
	}

	private function rest_post( $post, $context = 'view' ) {
		$request = new WP_REST_Request( 'GET', "/wp/v2/posts/$post" );
		$request->set_param( 'context', $context );
		$response = rest_do_request( $request );
		$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
		return $response->get_data();
	}

	public function test_commands_are_registered_as_wp_cli_expects() {
		CogVideoX_CLI::register();
		$this->assertSame( 'CogVideoX_CLI', WP_CLI::$commands['cogvideox'] );
		foreach ( array( 'generate', 'status', 'import', 'test_connection' ) as $method ) {
			$this->assertTrue( ( new ReflectionMethod( 'CogVideoX_CLI', $method ) )->isPublic(), $method );
		}
		$doc = ( new ReflectionMethod( 'CogVideoX_CLI', 'test_connection' ) )->getDocComment();
		$this->assertStringContainsString( '@subcommand test-connection', $doc );
		$this->assertStringContainsString( '[--all-drafts]', ( new ReflectionMethod( 'CogVideoX_CLI', 'generate' ) )->getDocComment() );
	}

	public function test_generate_wait_imports_a_video_and_the_rest_field_shows_the_job() {
		$post = $this->new_post( 'author1', array( 'post_title' => 'Made on the command line', 'post_status' => 'publish' ) );

		// Before: the field is there, with nothing to show.
		$this->login( '' );
		$this->assertSame( array( 'status' => 'none', 'video' => null ), $this->rest_post( $post )['cogvideox'] );

		$tiny = self::tiny();
		$ok   = $this->cli(
			'generate',
			array( (string) $post ),
			array(
				'prompt'     => 'A lantern drifting on a dark lake',
				'duration'   => (string) $tiny['duration'],
				'resolution' => $tiny['resolution'],
				'draft'      => true,
				'wait'       => true,
				'timeout'    => '180',
			)
		);
		$this->assertTrue( $ok, WP_CLI::transcript() );
		$this->assertMatchesRegularExpression( '/^success: Done\./m', WP_CLI::transcript() );
		$task  = (string) $this->fresh_meta( $post, '_cogvideox_task_id' );
		$video = $this->assertImported( $post, $task, 'cli' );
		$this->assertStringContainsString( 'imported as attachment ' . $video, WP_CLI::transcript() );
		$params = json_decode( $this->fresh_meta( $post, '_cogvideox_params' ), true );
		$this->assertSame( 'cli', $params['metadata']['wp_source'] );

		// A visitor of the published post: whether it has a video, and where. No job details.
		wp_cache_flush();
		$this->login( '' );
		$field = $this->rest_post( $post )['cogvideox'];
		$this->assertSame( 'completed', $field['status'] );
		$this->assertSame( $video, $field['video']['id'] );
		$this->assertSame( wp_get_attachment_url( $video ), $field['video']['url'] );
		$this->assertStringEndsWith( '.jpg', $field['video']['poster_url'] );
		$this->assertArrayNotHasKey( 'task_id', $field );

		// Someone who may generate for it: the job too.
		$this->login( 'editor1' );
		$field = $this->rest_post( $post, 'edit' )['cogvideox'];
		$this->assertSame( $task, $field['task_id'] );
		$this->assertSame( 100, $field['progress'] );
		$this->assertSame( 'done', $field['import']['state'] );
		$this->assertSame( $task, $field['jobs'][0]['task_id'] );
		$this->assertSame( 'completed', $field['jobs'][0]['status'] );
		$this->assertStringNotContainsString( self::api_token(), wp_json_encode( $field ) );

		// Over real HTTP, as a headless front end reads it; and the schema documents it.
		$response = $this->http( 'GET', "/wp-json/wp/v2/posts/$post" );
		$body     = json_decode( wp_remote_retrieve_body( $response ), true );
		$this->assertSame( 'completed', $body['cogvideox']['status'] );
		$this->assertSame( $video, $body['cogvideox']['video']['id'] );
		$schema = json_decode( wp_remote_retrieve_body( $this->http( 'OPTIONS', '/wp-json/wp/v2/posts' ) ), true );
		$this->assertTrue( $schema['schema']['properties']['cogvideox']['readonly'] );

		// `status` and `import` on the same post: imported already, nothing more.
		WP_CLI::$output = array();
		$this->assertTrue( $this->cli( 'status', array( (string) $post ) ) );
		$this->assertStringContainsString( "$post	$task	completed	100%	import:done", WP_CLI::transcript() );
		$this->assertTrue( $this->cli( 'import', array( (string) $post ) ), WP_CLI::transcript() );
		$this->assertSame( array( $video ), $this->attachments_for_task( $task ), 'still one video' );
	}

	public function test_test_connection_all_drafts_and_errors() {
		$this->assertTrue( $this->cli( 'test_connection' ), WP_CLI::transcript() );
		$this->assertMatchesRegularExpression( '/^success: Connected\. Model: tiny-random/m', WP_CLI::transcript() );

		$draft = $this->new_post( 'author1', array( 'post_title' => 'A draft for the CLI' ) );
		$done  = $this->new_post( 'author1', array( 'post_title' => 'Already has one' ) );
		update_post_meta( $done, '_cogvideox_status', 'completed' );
		WP_CLI::$output = array();
		$this->assertTrue( $this->cli( 'generate', array(), array( 'all-drafts' => true, 'dry-run' => true ) ) );
		$this->assertStringContainsString( "$draft	A draft for the CLI", WP_CLI::transcript() );
		$this->assertStringNotContainsString( "$done	", WP_CLI::transcript() );

		WP_CLI::$output = array();
		$this->assertFalse( $this->cli( 'import', array( (string) $draft ) ) );
		$this->assertStringContainsString( 'no finished video', WP_CLI::transcript() );
		$this->assertFalse( $this->cli( 'generate', array( (string) $draft ), array( 'prompt' => 'x', 'duration' => '99' ) ) );
		$this->assertStringContainsString( 'from 1 to', WP_CLI::transcript(), 'the limit in words' );

		$this->configure( self::api_url(), 'not-a-valid-token', '' );
		WP_CLI::$output = array();
		$this->assertFalse( $this->cli( 'test_connection' ) );
		$this->assertStringContainsString( 'rejected the API token', WP_CLI::transcript() );
		$this->assertStringNotContainsString( 'not-a-valid-token', WP_CLI::transcript() );
	}
}
