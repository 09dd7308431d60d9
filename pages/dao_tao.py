"""placeholder"""
import streamlit as st
st.title("dao_tao")
