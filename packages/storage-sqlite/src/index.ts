/**
 * @module @ce/storage-sqlite
 */
