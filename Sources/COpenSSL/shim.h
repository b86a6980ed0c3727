#ifndef HARK_COPENSSL_SHIM_H
#define HARK_COPENSSL_SHIM_H

// OpenSSL's libcrypto (3.x), for the RS256 signature of Google service-account assertions. libcurl
// already loads it, so it costs hark no memory.

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

// Without a passphrase callback, PEM_read_bio_PrivateKey prompts on the terminal for an encrypted
// key and blocks the run; this one refuses at once, so an encrypted key is an error instead.
static inline int hark_openssl_refuse_passphrase(char *buffer, int size, int rwflag, void *userdata) {
    (void)buffer;
    (void)size;
    (void)rwflag;
    (void)userdata;
    return -1;
}

// A private key (PKCS#8 or traditional PEM) from memory; NULL with the reason on the error queue.
// The BIO exists only for this call, so it never crosses into Swift.
static inline EVP_PKEY *hark_openssl_read_private_key(const char *pem, int length) {
    BIO *bio = BIO_new_mem_buf(pem, length);
    if (bio == NULL) {
        return NULL;
    }
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, hark_openssl_refuse_passphrase, NULL);
    BIO_free(bio);
    return key;
}

#endif
