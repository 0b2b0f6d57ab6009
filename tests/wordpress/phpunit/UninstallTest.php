<?php
/**
 * Deleting the plugin removes its data but keeps the imported media. Runs last: it really
 * deactivates and uninstalls the plugin on the test site.
 */
class UninstallTest extends CogVideoXTestCase {

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_uninstall_removes_options_meta_and_schedule_but_keeps_media() {
		$this->configure( self::api_url(), self::api_token(), 'whsec_' . base64_encode( 'x' ) );
		update_option( 'cogvideox_defaults', array( 'duration' => 2 ) );
		set_transient( 'cogvideox_templates', array(), 60 );
		$post = wp_insert_post( array( 'post_title' => 'Keeps its media', 'post_status' => 'draft' ) );
		update_post_meta( $post, '_cogvideox_task_id', 'task-u' );
		update_post_meta( $post, '_cogvideox_status', 'completed' );
		update_post_meta( $post, 'unrelated_meta', 'stays' );
		$media = wp_insert_attachment( array( 'post_title' => 'clip', 'post_mime_type' => 'video/mp4', 'post_status' => 'inherit' ), false, $post );
		update_post_meta( $media, '_cogvideox_source_task', 'task-u' );
		CogVideoX_Importer::acquire_lock( CogVideoX_Importer::LOCK_PREFIX . 'leftover' );
		CogVideoX_Webhook::claim( 'msg_leftover' );
		CogVideoX_Cron::ensure_scheduled();
		$this->assertTrue( (bool) wp_next_scheduled( CogVideoX_Cron::HOOK ) );

		deactivate_plugins( 'cogvideox/cogvideox.php' );
		$this->assertFalse( (bool) wp_next_scheduled( CogVideoX_Cron::HOOK ), 'deactivation stops polling' );
		CogVideoX_Cron::ensure_scheduled(); // Uninstall must clean up even if something re-scheduled it.
		$this->assertTrue( uninstall_plugin( 'cogvideox/cogvideox.php' ) );

		wp_cache_flush();
		global $wpdb;
		// Straight from the table: the plugin's registered defaults would mask a missing row.
		foreach ( array( 'cogvideox_api_url', 'cogvideox_api_token', 'cogvideox_webhook_secret', 'cogvideox_defaults', '_transient_cogvideox_templates' ) as $option ) {
			$this->assertSame( '0', $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name = %s", $option ) ), "$option removed" );
		}
		$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->postmeta} WHERE meta_key LIKE '\\_cogvideox\\_%'" ) );
		$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE '\\_cogvideox\\_%'" ) );
		$this->assertSame( 'stays', get_post_meta( $post, 'unrelated_meta', true ) );
		$this->assertFalse( (bool) wp_next_scheduled( CogVideoX_Cron::HOOK ) );
		$this->assertNotNull( get_post( $media ), 'imported media stay in the library' );
		$this->assertNotNull( get_post( $post ) );
		wp_delete_post( $media, true );
		wp_delete_post( $post, true );
	}
}
