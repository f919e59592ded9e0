package dev.javia.ota.server.web;

/** The bounds of {@code page} and {@code size} that every paged list of the API checks the same way. */
public final class Paging {

    public static final int MAX_PAGE_SIZE = 500;

    private Paging() {
    }

    /** Refuses a page that is negative, a size outside 1..{@link #MAX_PAGE_SIZE}, or an offset past an int. */
    public static void check(int page, int size) {
        if (page < 0 || size < 1 || size > MAX_PAGE_SIZE) {
            throw ApiException.badRequest("page must be 0 or more and size between 1 and " + MAX_PAGE_SIZE);
        }
        if ((long) page * size > Integer.MAX_VALUE) {
            throw ApiException.badRequest("page " + page + " is beyond any fleet: page x size must stay below "
                    + Integer.MAX_VALUE + "; the answer's total_pages says how many pages there are");
        }
    }
}
