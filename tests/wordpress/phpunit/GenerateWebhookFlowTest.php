<?php
/**
 * The whole path with the live service: the editor's Generate (REST, post not saved) ->
 * tiny model -> the service's signed webhook -> Media Library import. Plus cancel and the
 * featured-image action.
 */
class GenerateWebhookFlowTest extends CogVideoXTestCase {

	protected function setUp(): void {
		parent::setUp();
		$secret = getenv( 'COGVIDEOX_TEST_WEBHOOK_SECRET' );
		$this->assertNotEmpty( $secret, 'COGVIDEOX_TEST_WEBHOOK_SECRET (the registered CMS site\'s secret) is set' );
		$this->configure( self::api_url(), self::api_token(), $secret );
	}

	public function test_generate_then_webhook_imports_video_and_poster_exactly_once() {
		$post   = $this->new_post( 'author1', array( 'post_status' => 'draft' ) );
		$before = get_post( $post );
		$this->login( 'author1' );

		// Fit and frame rate from the service's own listing (GET /api/models), sent with the job.
		delete_transient( CogVideoX_API_Client::LIMITS_TRANSIENT );
		$limits = CogVideoX_Settings::limits();
		$models = $this->service( 'GET', '/api/models' );
		$this->assertSame( $models['body']['models'][0]['fps'], $limits['fps_choices'] );
		$this->assertSame( $models['body']['models'][0]['fits'], $limits['fits'] );
		$fps = max( $limits['fps_choices'] );
		ob_start();
		cogvideox()->render_meta_box( get_post( $post ) );
		$box = ob_get_clean();
		foreach ( $limits['fits'] as $fit ) {
			$this->assertStringContainsString( '<option value="' . $fit . '"', $box, 'the meta box offers ' . $fit );
		}
		$this->assertStringContainsString( '<option value="' . $fps . '"', $box, 'and the interpolated rate' );
		$refused = $this->rest( 'POST', "/posts/$post/generate", self::tiny( array( 'prompt' => 'x', 'fit' => 'squash' ) ) );
		$this->assertSame( 400, $refused->get_status() );
		$this->assertStringContainsString( implode( ', ', $limits['fits'] ), $refused->as_error()->get_error_message() );

		$response = $this->rest( 'POST', "/posts/$post/generate", self::tiny( array( 'prompt' => 'A red kite over green hills', 'fit' => 'pad', 'fps' => $fps ) ) );
		$this->assertSame( 201, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$state = $response->get_data();
		$task  = $state['task_id'];
		$this->assertSame( array( 'pad', $fps ), array( $state['params']['fit'], $state['params']['fps'] ), 'the service got the fit and rate' );
		$this->assertNotEmpty( $task );
		$this->assertContains( $state['status'], array( 'queued', 'processing' ) );
		$this->assertSame( rest_url( 'cogvideox/v1/webhook' ), $state['params']['callback_url'], 'the job carries this site\'s webhook URL' );
		$this->assertStringNotContainsString( self::api_token(), wp_json_encode( $state ) );

		// Generate does not save the post.
		clean_post_cache( $post );
		$after = get_post( $post );
		$this->assertSame( $before->post_modified_gmt, $after->post_modified_gmt );
		$this->assertSame( 'draft', $after->post_status );
		$this->assertSame( $before->post_content, $after->post_content );

		// Nobody polls: only the service's webhook (to the php -S server) can tell WordPress;
		// it schedules the import as a background event, which wp-cron.php runs.
		$this->wait_for(
			function () use ( $post, $task ) {
				wp_cache_flush();
				return wp_next_scheduled( CogVideoX_Background::IMPORT_HOOK, array( $post, $task ) );
			},
			180,
			'the webhook to schedule the import'
		);
		$this->assertSame( 'completed', $this->fresh_meta( $post, '_cogvideox_status' ) );
		$this->assertSame( 0, (int) $this->fresh_meta( $post, '_cogvideox_attachment_id' ), 'the webhook request did not import' );
		$this->assertSame( 'scheduled', $this->fresh_meta( $post, '_cogvideox_import_state' ) );
		$this->assertSame( 'webhook', $this->fresh_meta( $post, '_cogvideox_noticed_via' ) );
		$this->run_cron();
		$video = $this->assertImported( $post, $task, 'webhook' );
		$this->assertSame( 'completed', $this->fresh_meta( $post, '_cogvideox_status' ) );
		$this->assertSame( 'A red kite over green hills', get_post( $video )->post_content, 'the prompt is the attachment description' );
		$this->assertSame( (int) get_post( $post )->post_author, (int) get_post( $video )->post_author );

		// The editor's poll and WP-Cron see it done and import nothing more.
		$job = $this->rest( 'GET', "/posts/$post/job" )->get_data();
		$this->assertSame( $video, $job['attachment']['id'] );
		$this->assertStringContainsString( '[video mp4="', $job['attachment']['shortcode'] );
		$this->assertStringContainsString( 'poster="', $job['attachment']['shortcode'] );
		update_post_meta( $post, '_cogvideox_attachment_id', '' ); // Force the "completed but not imported" branch.
		CogVideoX_Cron::run();
		CogVideoX_Jobs::sync( $post, 'editor' );
		$this->run_cron(); // The import event finds the task's video already there and links it.
		$this->assertSame( array( $video ), $this->attachments_for_task( $task ), 'still exactly one video' );
		$this->assertCount( 1, $this->attachments_for_task( $task, 'poster' ), 'and one poster' );
		$previews = $this->attachments_for_task( $task, 'preview' );
		$this->assertCount( 1, $previews, 'and one animated WebP preview' );
		$this->assertSame( $previews[0], (int) $this->fresh_meta( $post, '_cogvideox_preview_id' ) );

		// The posts list's Video column: the poster, with the preview on hover.
		$cell = CogVideoX_Posts_List::poster_html( $post );
		$this->assertStringContainsString( 'data-preview="' . esc_url( wp_get_attachment_url( $previews[0] ) ) . '"', $cell );
		$webp = $this->http( 'GET', wp_parse_url( wp_get_attachment_url( $previews[0] ), PHP_URL_PATH ) );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $webp ) );
		$this->assertSame( 'WEBP', substr( wp_remote_retrieve_body( $webp ), 8, 4 ) );
		$this->assertSame( $video, (int) $this->fresh_meta( $post, '_cogvideox_attachment_id' ) );

		// The service's retry of the same delivery is ignored too (same webhook-id): covered in WebhookTest.
		// "Set poster as featured image".
		$this->assertFalse( has_post_thumbnail( $post ) );
		$response = $this->rest( 'POST', "/posts/$post/featured" );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( (int) get_post_thumbnail_id( $video ), (int) get_post_thumbnail_id( $post ) );
		$this->assertTrue( $response->get_data()['featured'] );

		// The imported file is served by WordPress.
		$file = $this->http( 'GET', wp_parse_url( wp_get_attachment_url( $video ), PHP_URL_PATH ) );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $file ) );
		$this->assertSame( 'video/mp4', wp_remote_retrieve_header( $file, 'content-type' ) );
	}

	public function test_cancel_from_the_editor_cancels_the_job_on_the_service() {
		// Occupy the worker so the second job is still waiting when it is canceled.
		$busy = $this->new_post( 'author1' );
		$post = $this->new_post( 'author1' );
		$this->login( 'author1' );
		$first = $this->rest( 'POST', "/posts/$busy/generate", self::tiny( array( 'prompt' => 'first' ) ) )->get_data();
		$state = $this->rest( 'POST', "/posts/$post/generate", self::tiny( array( 'prompt' => 'second' ) ) )->get_data();
		$this->assertNotEmpty( $state['task_id'] );

		// A second Generate while one runs is refused.
		$again = $this->rest( 'POST', "/posts/$post/generate", self::tiny( array( 'prompt' => 'third' ) ) );
		$this->assertSame( 409, $again->get_status() );

		$response = $this->rest( 'POST', "/posts/$post/cancel" );
		$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$status = $response->get_data()['status'];
		if ( 'canceled' === $status ) {
			$service = $this->service( 'GET', '/api/status/' . rawurlencode( $state['task_id'] ) );
			$this->assertSame( 'canceled', $service['body']['status'] );
		} else {
			// The tiny model won the race: the plugin reports the real outcome instead.
			$this->assertSame( 'completed', $status );
		}
		$this->assertSame( 409, $this->rest( 'POST', "/posts/$post/cancel" )->get_status(), 'nothing left to cancel' );
		$this->cancel_on_service( $first['task_id'] );
	}

	public function test_service_validation_errors_reach_the_editor_readably() {
		$post = $this->new_post( 'author1' );
		$this->login( 'author1' );
		// 2048x2048 passes the plugin's own format check but exceeds the model's limits.
		$response = $this->rest( 'POST', "/posts/$post/generate", array( 'prompt' => 'x', 'resolution' => '2048x2048', 'duration' => 1 ) );
		$this->assertSame( 400, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$this->assertNotSame( '', $response->as_error()->get_error_message() );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
	}
}
