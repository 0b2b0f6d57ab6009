<?php
/**
 * The article's save_post flow, opt-in: "Generate a video when I save this post". Checks the
 * nonce, capability, autosave and revision guards, against the live service.
 */
class MetaBoxSaveTest extends CogVideoXTestCase {

	/** @var string[] */
	private $tasks = array();

	protected function tearDown(): void {
		foreach ( $this->tasks as $task ) {
			$this->cancel_on_service( $task );
		}
		parent::tearDown();
	}

	private function submit_meta_box( $as_login, array $fields = array() ) {
		$this->login( $as_login );
		$_POST = array_merge(
			array(
				CogVideoX_Integration::NONCE_FIELD => wp_create_nonce( CogVideoX_Integration::NONCE_ACTION ),
				'cogvideox_prompt'           => 'A paper boat on a rainy street',
				'cogvideox_duration'         => (string) self::tiny()['duration'],
				'cogvideox_resolution'       => self::tiny()['resolution'],
				'cogvideox_generate_on_save' => '1',
			),
			$fields
		);
	}

	private function save( $post_id, $title = 'Edited title' ) {
		$result = wp_update_post( array( 'ID' => $post_id, 'post_title' => $title ), true );
		$this->assertNotWPError( $result );
	}

	public function test_ticked_checkbox_with_valid_nonce_starts_a_job_on_save() {
		$post = $this->new_post( 'author1' );
		// The fit and frame rate selectors next to resolution, with the service's choices.
		$fps = max( CogVideoX_Settings::limits()['fps_choices'] );
		$this->submit_meta_box( 'author1', array( 'cogvideox_fit' => 'stretch', 'cogvideox_fps' => (string) $fps ) );
		$started = microtime( true );
		$this->save( $post );
		$this->assertLessThan( 3, microtime( true ) - $started, 'saving does not wait for the service' );

		// The save only accepted the request; a background event sends it, through the same
		// job code as the Generate button (Idempotency-Key, no redirects).
		$this->assertSame( 'requested', $this->fresh_meta( $post, '_cogvideox_status' ) );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
		$this->assertNotFalse( wp_next_scheduled( CogVideoX_Background::START_HOOK, array( $post ) ) );
		$request = json_decode( $this->fresh_meta( $post, '_cogvideox_request' ), true );
		$this->run_cron();

		$task = (string) $this->fresh_meta( $post, '_cogvideox_task_id' );
		$this->assertNotSame( '', $task, 'task id stored in _cogvideox_task_id' );
		$this->tasks[] = $task;
		$this->assertContains( $this->fresh_meta( $post, '_cogvideox_status' ), array( 'queued', 'processing' ) );
		$this->assertSame( 'A paper boat on a rainy street', $this->fresh_meta( $post, '_cogvideox_prompt' ) );

		// The job really exists on the service, with the meta box's parameters.
		$answer = $this->service( 'GET', '/api/status/' . rawurlencode( $task ) );
		$this->assertSame( 200, $answer['code'] );
		$params = json_decode( $this->fresh_meta( $post, '_cogvideox_params' ), true );
		$this->assertSame( self::tiny()['duration'], $params['duration'] );
		$this->assertSame( self::tiny()['resolution'], $params['resolution'] );
		$this->assertSame( array( 'stretch', $fps ), array( $answer['body']['params']['fit'], $answer['body']['params']['fps'] ) );
		ob_start();
		cogvideox()->render_meta_box( get_post( $post ) );
		$this->assertMatchesRegularExpression( '/<option value="stretch"\s+selected/', ob_get_clean(), 'shown again as chosen' );
		$this->assertTrue( (bool) wp_next_scheduled( CogVideoX_Cron::HOOK ), 'WP-Cron polling is scheduled' );

		// The request's key is kept: sent again (a retry, the editor's poll racing WP-Cron),
		// the service answers with the same job.
		$again = $this->service( 'POST', '/api/generate', $request['payload'], null );
		$this->assertNotSame( $task, $again['body']['task_id'] ?? null, 'without the key it would be a new job' );
		$this->cancel_on_service( $again['body']['task_id'] );
		$client = CogVideoX_API_Client::from_settings();
		$this->assertSame( $task, $client->generate( $request['payload'], $request['key'] )['task_id'] );

		// Saving again while the job runs does not start a second one.
		$this->submit_meta_box( 'author1' );
		$this->save( $post, 'Edited again' );
		$this->assertSame( $task, $this->fresh_meta( $post, '_cogvideox_task_id' ) );
	}

	public function test_a_refused_save_request_shows_the_services_own_words() {
		$post = $this->new_post( 'author1' );
		$this->submit_meta_box( 'author1', array( 'cogvideox_template' => 'no-such-template-' . wp_rand() ) );
		$this->save( $post );
		$this->assertSame( 'requested', $this->fresh_meta( $post, '_cogvideox_status' ) );
		$request = json_decode( $this->fresh_meta( $post, '_cogvideox_request' ), true );
		$direct  = $this->service( 'POST', '/api/generate', $request['payload'] );
		$this->assertSame( 400, $direct['code'] );

		// The editor's poll sends it when WP-Cron has not yet.
		$this->login( 'author1' );
		$state = $this->rest( 'GET', "/posts/$post/job" )->get_data();
		$this->assertSame( 'failed', $state['status'] );
		$this->assertStringContainsString( $direct['body']['error']['message'], $state['error'] );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
	}

	public function test_a_request_not_sent_yet_can_be_withdrawn() {
		$post = $this->new_post( 'author1' );
		$this->submit_meta_box( 'author1' );
		$this->save( $post );
		$this->assertSame( 'requested', $this->fresh_meta( $post, '_cogvideox_status' ) );
		$this->login( 'author1' );
		$response = $this->rest( 'POST', "/posts/$post/cancel" );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( 'canceled', $response->get_data()['status'] );
		$this->assertFalse( wp_next_scheduled( CogVideoX_Background::START_HOOK, array( $post ) ) );
		$this->run_cron();
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ), 'nothing was sent' );
	}

	public function test_unticked_checkbox_only_remembers_the_prompt() {
		$post = $this->new_post( 'author1' );
		$this->submit_meta_box( 'author1', array( 'cogvideox_generate_on_save' => '' ) );
		$this->save( $post );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
		$this->assertSame( 'A paper boat on a rainy street', $this->fresh_meta( $post, '_cogvideox_prompt' ) );
		$this->assertSame( '0', (string) $this->fresh_meta( $post, '_cogvideox_generate_on_save' ) );
	}

	public function test_missing_or_forged_nonce_does_nothing() {
		$post = $this->new_post( 'author1' );
		$this->submit_meta_box( 'author1', array( CogVideoX_Integration::NONCE_FIELD => 'forged' ) );
		$this->save( $post );
		$this->submit_meta_box( 'author1' );
		unset( $_POST[ CogVideoX_Integration::NONCE_FIELD ] );
		$this->save( $post );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_prompt' ), 'nothing from the form was stored' );
	}

	public function test_nonce_of_another_user_does_nothing() {
		$post = $this->new_post( 'author1' );
		$this->submit_meta_box( 'author2' );
		$this->login( 'author1' );
		$this->save( $post );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
	}

	public function test_user_without_edit_post_capability_does_nothing() {
		$post = $this->new_post( 'author1' );
		// A contributor with a valid nonce of their own, saving someone else's post.
		$this->submit_meta_box( 'contributor1' );
		$this->save( $post );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_prompt' ) );
	}

	public function test_revisions_are_ignored() {
		$post = $this->new_post( 'author1' );
		$this->submit_meta_box( 'author1' );
		$revision = _wp_put_post_revision( get_post( $post ) );
		$this->assertIsInt( $revision );
		$this->assertSame( '', (string) $this->fresh_meta( $revision, '_cogvideox_task_id' ) );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
		$this->assertSame( '', (string) $this->fresh_meta( $revision, '_cogvideox_prompt' ) );
	}

	public function test_autosave_revisions_are_ignored() {
		$post = $this->new_post( 'author1' );
		$this->submit_meta_box( 'author1' );
		$autosave = _wp_put_post_revision( get_post( $post ), true );
		$this->assertIsInt( $autosave );
		$this->assertNotFalse( wp_is_post_autosave( $autosave ) );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
	}

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_doing_autosave_is_ignored() {
		$post = $this->new_post( 'author1' );
		$this->submit_meta_box( 'author1' );
		define( 'DOING_AUTOSAVE', true );
		$this->save( $post );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
	}

	public function test_meta_box_renders_escaped_with_nonce_and_without_the_token() {
		$post = $this->new_post( 'author1', array( 'post_title' => 'Title with "quotes" & <tags>' ) );
		update_post_meta( $post, '_cogvideox_prompt', '</textarea><script>alert(1)</script>' );
		$this->login( 'author1' );
		ob_start();
		cogvideox()->render_meta_box( get_post( $post ) );
		$html = ob_get_clean();
		$this->assertStringContainsString( 'name="' . CogVideoX_Integration::NONCE_FIELD . '"', $html );
		$this->assertStringNotContainsString( '<script>alert(1)</script>', $html );
		$this->assertStringContainsString( '&lt;/textarea&gt;&lt;script&gt;', $html );
		$this->assertStringNotContainsString( self::api_token(), $html );
		$this->assertStringContainsString( 'id="cogvideox-generate"', $html );
		$this->assertStringContainsString( 'name="cogvideox_generate_on_save"', $html );
	}
}
