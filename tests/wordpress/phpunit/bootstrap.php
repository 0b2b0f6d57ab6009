<?php
/**
 * PHPUnit bootstrap: loads the throwaway WordPress site that wp_site.py installed (the real
 * Debian WordPress on MariaDB, with the plugin active). No WordPress test framework and no
 * mocks: tests use plain PHPUnit TestCase against the real thing.
 *
 * Environment (set by tests/wordpress/test_wordpress_plugin.py):
 *   COGVIDEOX_WP_CONFIG, COGVIDEOX_WP_URL, COGVIDEOX_WP_PASSWORD   the site
 *   COGVIDEOX_TEST_API_URL, COGVIDEOX_TEST_API_TOKEN                 the live Django service
 *   COGVIDEOX_TEST_OTHER_TOKEN                                       another user's token
 *   COGVIDEOX_TEST_WEBHOOK_SECRET                                    the CMS site's secret
 */

foreach ( array( 'COGVIDEOX_WP_CONFIG', 'COGVIDEOX_WP_URL', 'COGVIDEOX_TEST_API_URL', 'COGVIDEOX_TEST_API_TOKEN' ) as $cogvideox_var ) {
	if ( ! getenv( $cogvideox_var ) ) {
		fwrite( STDERR, "bootstrap: $cogvideox_var is not set; run through tests/wordpress/test_wordpress_plugin.py\n" );
		exit( 1 );
	}
}

$cogvideox_url = parse_url( getenv( 'COGVIDEOX_WP_URL' ) );

$_SERVER['WORDPRESS_CONFIG'] = getenv( 'COGVIDEOX_WP_CONFIG' );
$_SERVER['HTTP_HOST']        = $cogvideox_url['host'] . ( isset( $cogvideox_url['port'] ) ? ':' . $cogvideox_url['port'] : '' );
$_SERVER['SERVER_NAME']      = $cogvideox_url['host'];
$_SERVER['SERVER_PORT']      = isset( $cogvideox_url['port'] ) ? (string) $cogvideox_url['port'] : '80';
$_SERVER['REQUEST_URI']      = '/';
$_SERVER['REQUEST_METHOD']   = 'GET';
$_SERVER['REMOTE_ADDR']      = '127.0.0.1';

// PHPUnit includes this file from inside a method: declare WordPress's globals so the
// variables WordPress sets at file scope land in the real global scope.
// phpcs:ignore
global $table_prefix, $wpdb, $wp_filter, $wp_actions, $wp_current_filter, $wp_version, $wp_db_version,
	$wp_rewrite, $wp, $wp_query, $wp_the_query, $wp_roles, $wp_locale, $wp_embed, $wp_widget_factory,
	$wp_post_types, $wp_taxonomies, $wp_object_cache, $wp_theme_directories, $shortcode_tags, $locale,
	$blog_id, $current_user, $wp_meta_boxes, $wp_scripts, $wp_styles, $wp_rest_server, $pagenow,
	$wp_plugin_paths, $wp_registered_sidebars, $wp_registered_widgets, $allowedposttags, $allowedtags,
	$debian_server, $debian_file, $debian_main_server, $debian_main_file, $wp_local_package,
	$tinymce_version, $required_php_version, $required_mysql_version, $timestart, $timeend;

require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';

if ( ! function_exists( 'cogvideox' ) ) {
	fwrite( STDERR, "bootstrap: the CogVideoX plugin is not active on this site\n" );
	exit( 1 );
}

require __DIR__ . '/CogVideoXTestCase.php';
