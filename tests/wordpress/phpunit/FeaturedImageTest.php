<?php
/**
 * "Animate the featured image": the post's featured image FILE (read from the uploads folder,
 * sent as a data URL, never a URL the service would have to reach) and a prompt go to the
 * live service's image-to-video model; its real worker turns them into a video, which is
 * imported into the Media Library attached to the post, like a text job's.
 */
require_once __DIR__ . '/wp-cli-stand-in.php';

class FeaturedImageTest extends CogVideoXTestCase {

	/** @var callable|null The test's cogvideox_generate_payload filter. */
	private $payload_filter = null;

	protected function setUp(): void {
		parent::setUp();
		// The listing is read afresh: the image models come from the live GET /api/models.
		delete_transient( CogVideoX_API_Client::LIMITS_TRANSIENT );
		WP_CLI::$output = array();
	}

	protected function tearDown(): void {
		if ( $this->payload_filter ) {
			remove_filter( 'cogvideox_generate_payload', $this->payload_filter );
		}
		parent::tearDown();
	}

	/* -- helpers ---------------------------------------------------------------------- */

	/** The image-to-video model the live service lists (GET /api/models), by its own answer. */
	private function listed_image_model() {
		$models = $this->service( 'GET', '/api/models' );
		$this->assertSame( 200, $models['code'] );
		foreach ( $models['body']['models'] as $model ) {
			if ( ! empty( $model['takes_image'] ) ) {
				return $model;
			}
		}
		$this->fail( 'the live service lists no image-to-video model: ' . wp_json_encode( $models['body'] ) );
	}

	/**
	 * A real image made with GD, uploaded to the Media Library (the uploads folder of the site)
	 * and set as the post's featured image.
	 *
	 * @param string $type 'png' or 'gif'.
	 */
	private function featured_image( $post, $type = 'png', $side = 64 ) {
		require_once ABSPATH . 'wp-admin/includes/file.php';
		require_once ABSPATH . 'wp-admin/includes/media.php';
		require_once ABSPATH . 'wp-admin/includes/image.php';
		$image = imagecreatetruecolor( $side, $side );
		for ( $y = 0; $y < $side; $y++ ) {
			for ( $x = 0; $x < $side; $x++ ) {
				imagesetpixel( $image, $x, $y, imagecolorallocate( $image, ( $x * 4 ) % 256, ( $y * 4 ) % 256, 128 ) );
			}
		}
		$tmp = wp_tempnam( 'cogvideox-featured' );
		$this->assertTrue( 'gif' === $type ? imagegif( $image, $tmp ) : imagepng( $image, $tmp ) );
		imagedestroy( $image );
		$id = media_handle_sideload(
			array(
				'name'     => 'featured-' . wp_generate_password( 6, false ) . '.' . $type,
				'tmp_name' => $tmp,
			),
			$post,
			'Featured ' . $type
		);
		$this->assertNotWPError( $id );
		$this->created_posts[] = (int) $id;
		$this->assertSame( 'image/' . $type, get_post_mime_type( $id ) );
		$this->assertNotFalse( set_post_thumbnail( $post, $id ) );
		return (int) $id;
	}

	/** The live service's jobs for a post of this site (its task list, by metadata). */
	private function service_jobs_for( $post ) {
		$query    = http_build_query(
			array(
				'metadata.wp_post_id' => (string) $post,
				'metadata.wp_site'    => home_url( '/' ),
			)
		);
		$answer = $this->service( 'GET', '/api/tasks?' . $query );
		$this->assertSame( 200, $answer['code'], wp_json_encode( $answer['body'] ) );
		return $answer['body']['results'];
	}

	/** The meta box as the editor gets it. */
	private function meta_box( $post ) {
		ob_start();
		cogvideox()->render_meta_box( get_post( $post ) );
		return ob_get_clean();
	}

	/** The tiny job: one second, one denoising step (the service's own parameter). */
	private function one_step() {
		$this->payload_filter = static function ( $payload ) {
			$payload['num_inference_steps'] = 1;
			return $payload;
		};
		add_filter( 'cogvideox_generate_payload', $this->payload_filter );
	}

	/* -- tests ------------------------------------------------------------------------ */

	public function test_the_featured_image_becomes_a_video_in_the_media_library() {
		$listed = $this->listed_image_model();
		$post   = $this->new_post( 'author1', array( 'post_title' => 'A lighthouse in the storm' ) );
		$image  = $this->featured_image( $post );
		$sha256 = hash_file( 'sha256', get_attached_file( $image ) );

		// The cached listing carries the service's image-to-video model, with its own limits.
		$model = CogVideoX_Settings::image_model();
		$this->assertNotNull( $model );
		$this->assertSame( $listed['id'], $model['model'] );
		$this->assertSame( $listed['max_duration'], $model['max_duration'] );
		$this->assertSame( $listed['default_resolution'], $model['native_resolution'] );
		$this->assertSame( $listed['fits'], $model['fits'] );
		// The largest image the plugin sends is what the service says it takes.
		$this->assertSame( $listed['image_limits']['max_bytes'], $model['max_image_bytes'] );
		$this->assertSame( $listed['image_limits']['max_bytes'], CogVideoX_Settings::max_image_bytes() );

		$this->login( 'author1' );
		$this->assertSame( CogVideoX_Settings::limits()['image_models'], $this->rest( 'GET', '/limits' )->get_data()['image_models'], 'the editor reads the same through /limits' );
		$box = $this->meta_box( $post );
		$this->assertMatchesRegularExpression( '/<button type="button" class="button" id="cogvideox-animate"\s+data-featured-image="' . $image . '"[^>]*\s+>Animate the featured image</', $box, 'offered, not hidden' );

		$this->one_step();
		// The editor's "Animate the featured image": no prompt typed, so the post's title.
		$response = $this->rest( 'POST', "/posts/$post/generate", array( 'featured_image' => true, 'duration' => 1, 'enhance_quality' => false ) );
		$this->assertSame( 201, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$state = $response->get_data();
		$task  = $state['task_id'];
		$this->assertNotEmpty( $task );
		$this->assertSame( $listed['id'], $state['params']['model'] );
		$this->assertSame( $image, $state['params']['featured_image'] );
		$this->assertSame( $sha256, $state['params']['image']['sha256'], 'the service got the attachment\'s own bytes' );
		$this->assertSame( 'data_url', $state['params']['image']['source'] );
		$this->assertSame( 'png', $state['params']['image']['format'] );
		$this->assertStringStartsWith( 'A lighthouse in the storm', $state['prompt'] );
		$this->assertSame( $image, $state['jobs'][0]['featured_image'], 'the job list says it is from the featured image' );
		// The image's bytes are sent, not kept: no data URL in the post's meta.
		global $wpdb;
		$meta = (string) $wpdb->get_var( $wpdb->prepare( "SELECT GROUP_CONCAT(meta_value) FROM {$wpdb->postmeta} WHERE post_id = %d", $post ) );
		$this->assertStringNotContainsString( 'base64', $meta );
		$this->assertStringNotContainsString( self::api_token(), wp_json_encode( $state ) );

		// What the service itself recorded: the image-to-video model, the file's digest, a data
		// URL (no URL of this site to fetch), one step.
		$service = $this->service( 'GET', '/api/status/' . rawurlencode( $task ) )['body'];
		$this->assertSame( $listed['id'], $service['model'] );
		$this->assertSame( $sha256, $service['params']['image']['sha256'] );
		$this->assertSame( 'data_url', $service['params']['image']['source'] );
		$this->assertSame( filesize( get_attached_file( $image ) ), $service['params']['image']['bytes'] );
		$this->assertSame( 1, $service['params']['num_inference_steps'] );
		$this->assertSame( $image, $service['metadata']['wp_featured_image'] );
		$this->assertNotEmpty( $service['input_image_url'] );
		$this->assertStringNotContainsString( 'wp-content', wp_json_encode( $service ), 'no URL of this site reached the service' );

		// Its real worker runs it; the editor's poll sees it through and queues the import.
		$this->wait_for(
			function () use ( $post ) {
				wp_cache_flush();
				$job = $this->rest( 'GET', "/posts/$post/job" )->get_data();
				$this->assertNotContains( $job['status'], array( 'failed', 'canceled' ), wp_json_encode( $job ) );
				return 'completed' === $job['status'] && 'scheduled' === $job['import']['state'];
			},
			180,
			'the image-to-video job to complete'
		);
		$this->run_cron(); // The background import, as a system cron runs it.
		$video = $this->assertImported( $post, $task, 'editor' );
		$this->assertCount( 1, $this->attachments_for_task( $task, 'preview' ), 'with its animated WebP preview' );
		$this->assertSame( $image, (int) get_post_meta( $video, CogVideoX_Importer::META_SOURCE_IMAGE, true ), 'the video names the image it animated' );
		$this->assertSame( $image, (int) get_post_thumbnail_id( $post ), 'the featured image stays the post\'s' );
		$job = $this->rest( 'GET', "/posts/$post/job" )->get_data();
		$this->assertSame( $video, $job['attachment']['id'] );
		$this->assertSame( 'completed', $job['jobs'][0]['status'] );
		$this->assertSame( $image, $job['jobs'][0]['featured_image'] );

		// A Media Library query for videos attached to the post finds it.
		$videos = get_posts(
			array(
				'post_type'      => 'attachment',
				'post_mime_type' => 'video/mp4',
				'post_parent'    => $post,
				'post_status'    => 'inherit',
				'fields'         => 'ids',
			)
		);
		$this->assertSame( array( $video ), array_map( 'intval', $videos ) );
	}

	public function test_a_gif_or_too_large_featured_image_is_refused_clearly_and_creates_no_job() {
		$this->listed_image_model();
		$post = $this->new_post( 'author1' );
		$this->featured_image( $post, 'gif', 32 );
		$this->login( 'author1' );
		$this->assertStringContainsString( 'id="cogvideox-animate"', $this->meta_box( $post ), 'a GIF is a featured image: the action is there, and says why it cannot' );

		$response = $this->rest( 'POST', "/posts/$post/generate", array( 'featured_image' => true, 'duration' => 1 ) );
		$this->assertSame( 415, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$message = $response->as_error()->get_error_message();
		$this->assertStringContainsString( 'The featured image is GIF', $message );
		$this->assertStringContainsString( 'PNG, JPEG or WebP', $message );

		// Larger than the service takes (here: a site that set the limit to 100 bytes).
		$png   = $this->new_post( 'author1' );
		$image = $this->featured_image( $png );
		$tiny  = static function () {
			return 100;
		};
		add_filter( 'cogvideox_max_image_bytes', $tiny );
		try {
			$response = $this->rest( 'POST', "/posts/$png/generate", array( 'featured_image' => true, 'duration' => 1 ) );
		} finally {
			remove_filter( 'cogvideox_max_image_bytes', $tiny );
		}
		$this->assertSame( 413, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$this->assertStringContainsString( 'takes images up to 100 B', $response->as_error()->get_error_message() );

		// A template is for text: not both.
		$response = $this->rest( 'POST', "/posts/$png/generate", array( 'featured_image' => true, 'template' => 'wp-news-clip' ) );
		$this->assertSame( 400, $response->get_status() );

		// WP-CLI says the same and starts nothing.
		$command = new CogVideoX_CLI();
		try {
			$command->generate( array( (string) $post ), array( 'featured-image' => true ) );
			$this->fail( 'the command should have ended with an error' );
		} catch ( CogVideoX_Test_CLI_Exit $exit ) {
			$this->assertStringContainsString( "warning: Post $post: The featured image is GIF", WP_CLI::transcript() );
			$this->assertStringContainsString( 'error: No job was started.', WP_CLI::transcript() );
		}

		foreach ( array( $post, $png ) as $id ) {
			$this->assertSame( '', (string) $this->fresh_meta( $id, '_cogvideox_task_id' ), 'no job recorded' );
			$this->assertSame( '', (string) $this->fresh_meta( $id, '_cogvideox_status' ) );
			$this->assertSame( array(), $this->service_jobs_for( $id ), 'and none on the service' );
		}
		$this->assertGreaterThan( 0, $image );
	}

	public function test_who_may_not_generate_or_see_the_image_is_refused() {
		$this->listed_image_model();
		// A contributor's own draft with a featured image: no generation capability.
		$post = $this->new_post( 'contributor1' );
		$this->featured_image( $post );
		$this->login( 'contributor1' );
		$this->assertTrue( current_user_can( 'edit_post', $post ) );
		$response = $this->rest( 'POST', "/posts/$post/generate", array( 'featured_image' => true, 'duration' => 1 ) );
		$this->assertSame( 403, $response->get_status() );
		$this->login( '' );
		$this->assertSame( 401, $this->rest( 'POST', "/posts/$post/generate", array( 'featured_image' => true ) )->get_status() );

		// An author may not send another author's draft image as "their" featured image.
		$secret = $this->new_post( 'author2' );
		$hidden = $this->featured_image( $secret );
		$mine   = $this->new_post( 'author1' );
		$this->login( 'author1' );
		$this->assertFalse( current_user_can( 'read_post', $hidden ) );
		$response = $this->rest( 'POST', "/posts/$mine/generate", array( 'featured_image' => true, 'featured_image_id' => $hidden, 'duration' => 1 ) );
		$this->assertSame( 403, $response->get_status(), wp_json_encode( $response->get_data() ) );

		foreach ( array( $post, $mine ) as $id ) {
			$this->assertSame( '', (string) $this->fresh_meta( $id, '_cogvideox_task_id' ) );
			$this->assertSame( array(), $this->service_jobs_for( $id ) );
		}
	}

	public function test_no_featured_image_or_no_image_model_offers_no_animate_action() {
		$this->listed_image_model();
		$post = $this->new_post( 'author1' );
		$this->login( 'author1' );
		$this->assertMatchesRegularExpression( '/id="cogvideox-animate"\s+data-featured-image="0"[^>]*\shidden>/', $this->meta_box( $post ), 'no featured image: hidden' );
		$response = $this->rest( 'POST', "/posts/$post/generate", array( 'featured_image' => true, 'duration' => 1 ) );
		$this->assertSame( 409, $response->get_status() );
		$this->assertStringContainsString( 'no featured image', $response->as_error()->get_error_message() );

		// A service that serves no image-to-video model (its listing without one): no action at all.
		$listing = $this->service( 'GET', '/api/models' )['body'];
		$text    = array( 'models' => array_values( array_filter( $listing['models'], static function ( $m ) {
			return empty( $m['takes_image'] );
		} ) ) );
		$this->assertSame( array(), CogVideoX_API_Client::limits_from_models( $text )['image_models'] );
		$this->assertCount( 1, CogVideoX_API_Client::limits_from_models( $listing )['image_models'] );
		$this->featured_image( $post );
		$none = '__return_null';
		add_filter( 'cogvideox_image_model', $none );
		try {
			$this->assertStringNotContainsString( 'cogvideox-animate', $this->meta_box( $post ) );
			$response = $this->rest( 'POST', "/posts/$post/generate", array( 'featured_image' => true, 'duration' => 1 ) );
			$this->assertSame( 409, $response->get_status() );
			$this->assertStringContainsString( 'no image-to-video model', $response->as_error()->get_error_message() );
		} finally {
			remove_filter( 'cogvideox_image_model', $none );
		}
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
	}

	public function test_wp_cli_featured_image_starts_the_image_to_video_job() {
		$listed = $this->listed_image_model();
		$post   = $this->new_post( 'author1', array( 'post_title' => 'Animated from the shell' ) );
		$image  = $this->featured_image( $post );
		$this->one_step();
		$command = new CogVideoX_CLI();
		$command->generate( array( (string) $post ), array( 'featured-image' => true, 'duration' => '1', 'draft' => true ) );
		$this->assertStringContainsString( 'success: 1 jobs started', WP_CLI::transcript() );
		$task = (string) $this->fresh_meta( $post, '_cogvideox_task_id' );
		$this->assertNotSame( '', $task );
		$service = $this->service( 'GET', '/api/status/' . rawurlencode( $task ) )['body'];
		$this->assertSame( $listed['id'], $service['model'] );
		$this->assertSame( hash_file( 'sha256', get_attached_file( $image ) ), $service['params']['image']['sha256'] );
		$this->assertSame( 'cli', $service['metadata']['wp_source'] );
		// The worker is shared with the next tests: this one is not needed any further.
		$this->cancel_on_service( $task );
	}
}
