"""placeholder"""
import streamlit as st
st.title("quan_tri")
