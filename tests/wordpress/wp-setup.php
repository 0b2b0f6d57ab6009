<?php
/**
 * Command-line set-up steps for a throwaway test site (run by wp_site.py):
 *
 *   php wp-setup.php install            wp_install() + permalinks + test users
 *   php wp-setup.php activate           activate_plugin( 'cogvideox/cogvideox.php' )
 *   php wp-setup.php set-option NAME VALUE
 *   php wp-setup.php classic-post TITLE   a draft that opens in the classic editor; prints its id
 *
 * Environment: COGVIDEOX_WP_CONFIG (Debian config name), COGVIDEOX_WP_URL,
 * COGVIDEOX_WP_PASSWORD (password of every test user).
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 );
}

$cogvideox_command = isset( $argv[1] ) ? $argv[1] : '';
$cogvideox_url     = parse_url( getenv( 'COGVIDEOX_WP_URL' ) );

$_SERVER['WORDPRESS_CONFIG'] = getenv( 'COGVIDEOX_WP_CONFIG' );
$_SERVER['HTTP_HOST']        = $cogvideox_url['host'] . ( isset( $cogvideox_url['port'] ) ? ':' . $cogvideox_url['port'] : '' );
$_SERVER['SERVER_NAME']      = $cogvideox_url['host'];
$_SERVER['REQUEST_URI']      = '/';
$_SERVER['REQUEST_METHOD']   = 'GET';

if ( 'install' === $cogvideox_command ) {
	define( 'WP_INSTALLING', true );
}

// Loaded at file scope so WordPress's globals really are global.
require '/usr/share/wordpress/wp-load.php';

switch ( $cogvideox_command ) {
	case 'install':
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$cogvideox_password = getenv( 'COGVIDEOX_WP_PASSWORD' );
		$cogvideox_result   = wp_install( 'CogVideoX test site', 'admin', 'admin@example.test', false, '', wp_slash( $cogvideox_password ), 'en_US' );
		if ( is_wp_error( $cogvideox_result ) ) {
			fwrite( STDERR, $cogvideox_result->get_error_message() . "\n" );
			exit( 1 );
		}
		update_option( 'permalink_structure', '/%postname%/' );
		update_option( 'blog_public', '0' );
		$cogvideox_users = array(
			'editor1'      => 'editor',
			'author1'      => 'author',
			'author2'      => 'author',
			'contributor1' => 'contributor',
			'subscriber1'  => 'subscriber',
		);
		foreach ( $cogvideox_users as $cogvideox_login => $cogvideox_role ) {
			$cogvideox_id = wp_insert_user(
				array(
					'user_login' => $cogvideox_login,
					'user_pass'  => $cogvideox_password,
					'user_email' => $cogvideox_login . '@example.test',
					'role'       => $cogvideox_role,
				)
			);
			if ( is_wp_error( $cogvideox_id ) ) {
				fwrite( STDERR, $cogvideox_id->get_error_message() . "\n" );
				exit( 1 );
			}
		}
		// Skip the block editor's welcome guide for the admin (the browser test's user).
		$cogvideox_admin = get_user_by( 'login', 'admin' );
		update_user_meta(
			$cogvideox_admin->ID,
			$wpdb->get_blog_prefix() . 'persisted_preferences',
			array(
				'core/edit-post' => array(
					'welcomeGuide'         => false,
					'fullscreenMode'       => false,
					'isComplementaryAreaVisible' => true,
				),
				'_modified'      => gmdate( 'c' ),
			)
		);
		echo 'installed ' . home_url( '/' ) . "\n";
		break;

	case 'activate':
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		$cogvideox_result = activate_plugin( 'cogvideox/cogvideox.php', '', false, false );
		if ( is_wp_error( $cogvideox_result ) ) {
			fwrite( STDERR, $cogvideox_result->get_error_message() . "\n" );
			exit( 1 );
		}
		echo "activated\n";
		break;

	case 'classic-post':
		// A draft that opens in the classic editor (see mu-plugins/cogvideox-test-classic-editor.php).
		$cogvideox_admin = get_user_by( 'login', 'admin' );
		$cogvideox_post  = wp_insert_post(
			array(
				'post_title'   => $argv[2],
				'post_status'  => 'draft',
				'post_author'  => $cogvideox_admin->ID,
				'post_content' => 'Classic editor post.',
			),
			true
		);
		if ( is_wp_error( $cogvideox_post ) ) {
			fwrite( STDERR, $cogvideox_post->get_error_message() . "\n" );
			exit( 1 );
		}
		update_post_meta( $cogvideox_post, '_cogvideox_test_classic_editor', '1' );
		echo $cogvideox_post . "\n";
		break;

	case 'set-option':
		update_option( $argv[2], $argv[3] );
		echo "ok\n";
		break;

	default:
		fwrite( STDERR, "usage: wp-setup.php install|activate|set-option NAME VALUE\n" );
		exit( 2 );
}
