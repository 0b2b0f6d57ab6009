<?php
/**
 * Sites the service cannot reach: no webhook secret, so no callback; WP-Cron's poll imports.
 */
class CronPollingTest extends CogVideoXTestCase {

	public function test_cron_poll_imports_a_finished_video_exactly_once() {
		$this->configure( self::api_url(), self::api_token(), '' );
		$post = $this->new_post( 'author1', array( 'post_title' => 'Cron polled clip' ) );

		$task = cogvideox()->generate_video_for_post( $post, 'A slow pan across a desert', self::tiny() );
		$this->assertIsString( $task );
		$params = json_decode( $this->fresh_meta( $post, '_cogvideox_params' ), true );
		$this->assertArrayNotHasKey( 'callback_url', $params, 'no webhook without a secret' );
		$this->assertTrue( (bool) wp_next_scheduled( CogVideoX_Cron::HOOK ), 'the poll is scheduled' );
		$this->assertContains( $post, CogVideoX_Cron::posts_to_poll() );

		$this->wait_for_service_status( $task, array( 'completed' ) );
		$this->assertSame( 0, (int) $this->fresh_meta( $post, '_cogvideox_attachment_id' ), 'nothing imported before cron runs' );

		// What WP-Cron runs when the event is due: the poll hands the import to an event of its
		// own, which the same wp-cron.php run picks up.
		do_action( CogVideoX_Cron::HOOK );
		$this->assertSame( 0, (int) $this->fresh_meta( $post, '_cogvideox_attachment_id' ), 'the poll itself does not download' );
		$this->assertNotFalse( wp_next_scheduled( CogVideoX_Background::IMPORT_HOOK, array( $post, $task ) ) );
		$this->run_cron();
		$video = $this->assertImported( $post, $task, 'cron' );
		$this->assertSame( 'done', CogVideoX_Jobs::state( $post )['import']['state'] );
		$this->assertNotContains( $post, CogVideoX_Cron::posts_to_poll(), 'done posts are not polled again' );

		do_action( CogVideoX_Cron::HOOK );
		$this->assertSame( array( $video ), $this->attachments_for_task( $task ) );
		if ( ! CogVideoX_Cron::posts_to_poll() ) {
			$this->assertFalse( wp_next_scheduled( CogVideoX_Cron::HOOK ), 'nothing pending: the minute poll is unscheduled' );
		}
	}

	public function test_concurrent_imports_take_turns() {
		// Another request holds the import lock: this one backs off instead of importing twice.
		$post = $this->new_post( 'author1' );
		$task = 'lock-' . wp_generate_uuid4();
		update_post_meta( $post, '_cogvideox_task_id', $task );
		$lock = CogVideoX_Importer::LOCK_PREFIX . md5( $task );
		$this->assertTrue( CogVideoX_Importer::acquire_lock( $lock ) );
		$this->assertFalse( CogVideoX_Importer::acquire_lock( $lock ), 'the lock is exclusive' );
		$this->assertSame( 0, CogVideoX_Importer::import( $post, $task, 'video-id', 'cron' ) );
		CogVideoX_Importer::release_lock( $lock );
		$this->assertTrue( CogVideoX_Importer::acquire_lock( $lock ) );
		CogVideoX_Importer::release_lock( $lock );
	}

	public function test_a_failing_import_is_retried_with_backoff_then_given_up_visibly() {
		$post = $this->new_post( 'author1' );
		$task = 'gone-' . wp_generate_uuid4();
		update_post_meta( $post, '_cogvideox_task_id', $task );
		update_post_meta( $post, '_cogvideox_status', 'processing' );
		// The service says done, naming a video it does not have: every download answers 404.
		CogVideoX_Jobs::apply_status( $post, array( 'task_id' => $task, 'status' => 'completed', 'video_id' => 'no-such-video' ), 'webhook' );
		$this->assertSame( 'scheduled', CogVideoX_Jobs::state( $post )['import']['state'] );

		// What wp-cron.php does with a due event: unschedule it, then run it.
		$run = function () use ( $post, $task ) {
			$args = array( $post, $task );
			wp_unschedule_event( wp_next_scheduled( CogVideoX_Background::IMPORT_HOOK, $args ), CogVideoX_Background::IMPORT_HOOK, $args );
			return CogVideoX_Background::run_import( $post, $task );
		};
		$before = time();
		$this->assertInstanceOf( WP_Error::class, $run() );
		$import = CogVideoX_Jobs::state( $post )['import'];
		$this->assertSame( 'retrying', $import['state'] );
		$this->assertSame( 1, $import['attempts'] );
		$this->assertGreaterThanOrEqual( $before + 60, $import['next_attempt'], 'first retry after a minute' );
		$this->assertSame( $import['next_attempt'], wp_next_scheduled( CogVideoX_Background::IMPORT_HOOK, array( $post, $task ) ) );
		$this->assertNotSame( '', CogVideoX_Jobs::state( $post )['error'], 'the reason is shown' );
		$this->assertContains( $post, CogVideoX_Cron::posts_to_poll() );

		for ( $try = 2; $try <= CogVideoX_Background::MAX_ATTEMPTS; $try++ ) {
			$run();
		}
		$this->assertFalse( wp_next_scheduled( CogVideoX_Background::IMPORT_HOOK, array( $post, $task ) ), 'no further try scheduled' );
		$state = CogVideoX_Jobs::state( $post );
		$this->assertSame( 'failed', $state['import']['state'] );
		$this->assertSame( CogVideoX_Background::MAX_ATTEMPTS, $state['import']['attempts'] );
		$this->assertStringContainsString( 'could not be imported after', $state['error'] );
		$this->assertNotContains( $post, CogVideoX_Cron::posts_to_poll(), 'given up: no longer polled' );
		$this->assertSame( array(), $this->attachments_for_task( $task ) );
		$this->assertSame( 120, CogVideoX_Background::backoff( 2 ) );
		$this->assertSame( HOUR_IN_SECONDS, CogVideoX_Background::backoff( 30 ) );
	}

	public function test_failed_job_is_reported_and_no_longer_polled() {
		$post = $this->new_post( 'author1' );
		update_post_meta( $post, '_cogvideox_task_id', 't-failed' );
		update_post_meta( $post, '_cogvideox_status', 'processing' );
		$state = CogVideoX_Jobs::apply_status( $post, array( 'task_id' => 't-failed', 'status' => 'failed', 'error' => 'Out of memory' ), 'cron' );
		$this->assertSame( 'failed', $state['status'] );
		$this->assertSame( 'Out of memory', $state['error'] );
		$this->assertNotContains( $post, CogVideoX_Cron::posts_to_poll() );
	}
}
