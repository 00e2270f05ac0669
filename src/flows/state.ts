/** TCP connection states as the flow table stores them (one byte per flow). */
export const ST_NONE = 0, ST_ATTEMPT = 1, ST_ESTABLISHED = 2, ST_CLOSED = 3, ST_RESET = 4;
